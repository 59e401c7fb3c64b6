import { spawn } from 'node:child_process'
import type SQLite from 'better-sqlite3'

/**
 * The baseline of the steps measure: what one `exec` step cannot do without — start `bash -c true` as the
 * leader of its own process group, wait for its exit and the end of its output, and write the rows the engine
 * writes for a step (the execution opened, step.started and task.progress before the command; the command's log
 * line, the process group, the execution closed, step.finished and task.progress after it), through prepared
 * better-sqlite3 statements, one transaction on each side of the command. Returns milliseconds per step;
 * `onStart` is called as each command is about to start.
 */
export async function spawnRows(sqlite: SQLite.Database, taskId: number, steps: number, onStart: () => void = () => {}): Promise<number> {
  const seq = sqlite.prepare('UPDATE tasks SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq')
  const event = sqlite.prepare('INSERT INTO task_events (task_id, seq, type, payload, created_at) VALUES (?, ?, ?, ?, ?)')
  const progress = sqlite.prepare('UPDATE tasks SET progress_percentage = ?, current_step = ?, resume_from_step = ?, updated_at = ? WHERE id = ?')
  const open = sqlite.prepare(`INSERT INTO task_executions (task_id, step_name, step_display_name, step_type, step_order,
    status, attempt, retry_count, start_time, heartbeat_at) VALUES (?, ?, ?, 'exec', ?, 'running', 1, 0, ?, ?)`)
  const log = sqlite.prepare(`INSERT INTO task_logs (task_id, execution_id, seq, level, message, source, timestamp)
    VALUES (?, ?, ?, 'info', '$ true', 'command', ?)`)
  const handle = sqlite.prepare('UPDATE task_executions SET remote_handle = ? WHERE id = ?')
  const close = sqlite.prepare(`UPDATE task_executions SET status = 'success', end_time = ?, duration_seconds = ?,
    output_summary = ?, error_details = NULL WHERE id = ?`)
  const emit = (type: string, data: unknown, at: string) => {
    const { last_seq: n } = seq.get(1, taskId) as { last_seq: number }
    event.run(taskId, n, type, JSON.stringify(data), at)
  }
  const percent = (done: number) => Math.round((done / steps) * 1000) / 10
  const begin = sqlite.transaction((index: number) => {
    const at = new Date().toISOString()
    const id = `s${index}`
    const execution = Number(open.run(taskId, id, id, index, at, at).lastInsertRowid)
    emit('step.started', { execution_id: execution, step_id: id, attempt: 1 }, at)
    progress.run(percent(index), id, id, at, taskId)
    emit('task.progress', { progress_percentage: percent(index), current_step: id, user_id: 'alice' }, at)
    return { execution, started: Date.parse(at) }
  })
  const finish = sqlite.transaction((index: number, execution: number, started: number, pgid: number) => {
    const end = new Date()
    const at = end.toISOString()
    const { last_seq: n } = seq.get(1, taskId) as { last_seq: number }
    log.run(taskId, execution, n, at)
    handle.run(JSON.stringify({ pgid }), execution)
    close.run(at, (end.getTime() - started) / 1000, 'exit code 0, 0 stdout line(s)', execution)
    emit('step.finished', { execution_id: execution, step_id: `s${index}`, status: 'success', error: null }, at)
    const next = index + 1 < steps ? `s${index + 1}` : null
    progress.run(percent(index + 1), `s${index}`, next, at, taskId)
    emit('task.progress', { progress_percentage: percent(index + 1), current_step: `s${index}`, user_id: 'alice' }, at)
  })
  const started = performance.now()
  for (let index = 0; index < steps; index++) {
    const { execution, started: at } = begin(index)
    onStart()
    const pgid = await run('true')
    finish(index, execution, at, pgid)
  }
  return (performance.now() - started) / steps
}

/** `bash -c <command>` in a process group of its own, its output read to the end; resolves with its pid. */
async function run(command: string): Promise<number> {
  const child = spawn('bash', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.resume()
  child.stderr.resume()
  const [code] = await new Promise<[number | null]>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c) => resolve([c]))
  })
  if (code !== 0) throw new Error(`bash -c ${command}: exit code ${code}`)
  return child.pid!
}
