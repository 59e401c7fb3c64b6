import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signToken } from '../../src/auth/token.js'
import { SECRET, startServerProcess, type ServerProcess } from '../helpers/server-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const main = join(root, 'src/cli/main.ts')

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** A running `topup` process: its output so far, a wait for a text in it, and its end. */
export interface CliProcess {
  output(): { stdout: string; stderr: string }
  /** Resolves once stdout or stderr holds `text` (bounded: rejects with what came if the process ends first). */
  waitFor(stream: 'stdout' | 'stderr', text: string | RegExp): Promise<void>
  done: Promise<CliRun>
}

/** Starts the real command (`node --import tsx src/cli/main.ts …`) in the project folder. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, input?: string): CliProcess {
  const child = spawn(process.execPath, ['--import=tsx', main, ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdin.end(input ?? '')
  const out = { stdout: '', stderr: '' }
  const waiters: Array<() => void> = []
  const wake = () => { for (const w of waiters.splice(0)) w() }
  child.stdout.on('data', (chunk: Buffer) => { out.stdout += chunk.toString(); wake() })
  child.stderr.on('data', (chunk: Buffer) => { out.stderr += chunk.toString(); wake() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 100_000)
  let ended = false
  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => {
    ended = true
    clearTimeout(killer)
    wake()
    resolve({ code, ...out })
  }))
  return {
    output: () => ({ ...out }),
    done,
    async waitFor(stream, text) {
      const seen = () => (typeof text === 'string' ? out[stream].includes(text) : text.test(out[stream]))
      while (!seen()) {
        if (ended) throw new Error(`topup ended without ${String(text)} on ${stream}: ${JSON.stringify(out)}`)
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
  }
}

export const runCli = (args: string[], env: NodeJS.ProcessEnv, input?: string) => startCli(args, env, input).done

/** Workflows of the command-line tests, beside the demo (workflows/demo.json). */
const cliWorkflows = {
  typed_flow: {
    parameters: {
      count: { type: 'integer', minimum: 1, maximum: 9, default: 1 },
      flag: { type: 'boolean', default: true },
      label: { type: 'string', pattern: '^[a-z0-9]+$', default: 'x' },
    },
    steps: [{ id: 'echo', display_name: 'echo', type: 'exec', host: 'local', inputs: { command: 'echo {{ params.count }} {{ params.flag }}' } }],
  },
  fail_flow: {
    steps: [{
      id: 'breaks', display_name: 'breaks', type: 'exec', host: 'local', retry: { count: 0 },
      inputs: { command: 'echo about to fail; exit 3' },
    }],
  },
  wait_flow: {
    steps: [
      {
        id: 'wait', display_name: 'wait for ready', type: 'wait_for_files', host: 'local',
        inputs: { directory: '{{ vars.work }}', files: ['ready-{{ task.id }}'], poll_seconds: 0.2, max_wait_minutes: 5 },
      },
      { id: 'after', display_name: 'after', type: 'exec', host: 'local', inputs: { command: 'echo after the wait' } },
    ],
  },
}

export interface CliServer {
  server: ServerProcess
  dir: string
  work: string
  /** The environment for `topup` as alice: the server in TOPUP_URL, her token in TOPUP_TOKEN, a config folder of the test. */
  env: NodeJS.ProcessEnv
  token(user: string): string
}

/** A real server process with the demo workflow and the workflows above. */
export async function startCliServer(t: { teardown(fn: () => unknown): void }, dir: string,
  extraEnv: Record<string, string> = {}): Promise<CliServer> {
  const workflows = join(dir, 'workflows')
  const work = join(dir, 'work')
  mkdirSync(workflows, { recursive: true })
  mkdirSync(work, { recursive: true })
  copyFileSync(join(root, 'workflows/demo.json'), join(workflows, 'demo.json'))
  for (const [name, body] of Object.entries(cliWorkflows)) {
    writeFileSync(join(workflows, `${name}.json`), JSON.stringify({ name, display_name: name, version: '1', vars: { work }, ...body }))
  }
  const server = await startServerProcess(t, dir, {
    WORKFLOWS_DIR: workflows, TOPUP_VAR_WORK_DIR: join(dir, 'demo-work'), DEMO_STEP_SECONDS: '0.1', ...extraEnv,
  })
  const token = (user: string) => signToken(SECRET, { userId: user, role: 'user' }, 3600)
  const env: NodeJS.ProcessEnv = {
    ...process.env, TOPUP_URL: server.base, TOPUP_TOKEN: token('alice'), XDG_CONFIG_HOME: join(dir, 'config'),
    LANG: 'C', LC_ALL: '', LC_MESSAGES: '',
  }
  return { server, dir, work, env, token }
}

/** The seq of every event line (`#  12 …`) of a follow's output. */
export const eventSeqs = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('#')).map((l) => Number(/^#\s*(\d+) /.exec(l)?.[1]))

/** The id in `task 12 created: …`. */
export const createdTaskId = (stdout: string) => Number(/^task (\d+) created/m.exec(stdout)?.[1])
