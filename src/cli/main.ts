#!/usr/bin/env node
import { ApiError, ConnectionError } from './api-client.js'
import { artifacts } from './commands/artifacts.js'
import { days } from './commands/days.js'
import { follow } from './commands/follow.js'
import { cancel, pause, resume } from './commands/lifecycle.js'
import { login } from './commands/login.js'
import { logs } from './commands/logs.js'
import { run } from './commands/run.js'
import { tasks } from './commands/tasks.js'
import { resolveSettings } from './config-file.js'
import { createContext, type Command } from './context.js'
import { CliError, ExitCode, UsageError } from './exit-codes.js'
import { languageOf, translator } from './messages.js'
import { Output } from './output.js'

const commands: Record<string, Command> = { login, tasks, run, follow, logs, pause, resume, cancel, artifacts, days }

const usage = `topup <command> [options] [--json]
${Object.values(commands).map((c) => `  ${c.usage.replaceAll('\n', '\n  ')}`).join('\n')}
The server and token come from \`topup login\`; TOPUP_URL and TOPUP_TOKEN override them. --json writes JSON
(a stream of one object per line for follow and logs). Exit codes: 0 done, 1 error or task failed/cancelled,
2 task paused for review, 3 task paused otherwise, 64 usage error.`

/** `--json` is global: taken out wherever it stands (before a `--`). */
function splitJson(argv: string[]): { json: boolean; args: string[] } {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  const json = argv.slice(0, end).includes('--json')
  return { json, args: json ? [...argv.slice(0, end).filter((a) => a !== '--json'), ...argv.slice(end)] : argv }
}

async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { json, args } = splitJson(argv)
  const out = new Output(process.stdout, process.stderr, env, json, translator(languageOf(env)))
  const [name, ...rest] = args
  const command = name === undefined ? undefined : commands[name]
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      if (name === undefined) out.note(`usage: ${usage}`)
      else out.line(`usage: ${usage}`)
      return name === undefined ? ExitCode.usage : ExitCode.ok
    }
    if (!command) throw new UsageError(`unknown command "${name}"`, usage)
    if (rest.includes('--help') || rest.includes('-h')) {
      out.line(`usage: ${command.usage}`)
      return ExitCode.ok
    }
    return await command.run(createContext(env, out, resolveSettings(env)), rest)
  } catch (error) {
    return report(out, error)
  }
}

/** Any error as one line on stderr (with --json: the problem+json body as one line), and its exit code. */
function report(out: Output, error: unknown): number {
  const say = (message: string) => out.note(out.paint('red', out.t('error.line', { message })))
  if (error instanceof UsageError) {
    say(`${error.message}\nusage: ${error.usage}`)
    return error.exitCode
  }
  if (error instanceof ApiError) {
    if (out.json && typeof error.body === 'object' && error.body !== null) out.note(JSON.stringify(error.body))
    else say(oneLine(error))
    return ExitCode.failed
  }
  if (error instanceof ConnectionError) {
    say(out.t('error.unreachable', { url: error.url, reason: error.reason }))
    return ExitCode.failed
  }
  say(error instanceof Error ? error.message : String(error))
  return error instanceof CliError ? error.exitCode : ExitCode.failed
}

/** "Invalid workflow parameters: parameter runs: must be <= 20 (invalid_parameters)". */
function oneLine(error: ApiError): string {
  const text = [error.title, error.detail].filter(Boolean).join(': ').replace(/\s*\n\s*/g, ' ')
  return error.code ? `${text} (${error.code})` : text
}

process.exitCode = await main(process.argv.slice(2))
