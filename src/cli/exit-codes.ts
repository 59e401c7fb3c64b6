/**
 * What `topup` exits with. 2 is a pause for review (a normal stop of the day, where a person looks), so a usage
 * error takes 64 (EX_USAGE of sysexits.h), not the 2 of many tools.
 */
export const ExitCode = {
  ok: 0,
  /** an error (the server's, the network's) or a followed task that failed or was cancelled */
  failed: 1,
  /** a followed task paused for review ("waiting for review…") */
  review: 2,
  /** a followed task paused for another reason (on request, a step stopped for a look, a restart, a host down) */
  paused: 3,
  usage: 64,
} as const

/** An error of the command line itself, shown as one line; `exitCode` says how the process ends. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.failed) {
    super(message)
    this.name = 'CliError'
  }
}

/** A command given wrong: the message and the command's usage, exit 64. */
export class UsageError extends CliError {
  constructor(message: string, readonly usage: string) {
    super(message, ExitCode.usage)
    this.name = 'UsageError'
  }
}
