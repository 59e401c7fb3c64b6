import { shellQuote } from '../../shell-quote.js'
import type { Frame } from '../framing.js'

/**
 * Command lines for the remote login shell. The login shell may be bash, sh or tcsh (common at IHEP), so a
 * script never reaches it as shell text: every byte that any of them could treat specially travels as a \xHH
 * escape inside single quotes, which all of them pass through unchanged, and bash's builtin `printf -v`
 * restores it without starting a process (each fork costs about a millisecond per command). `exec` keeps the
 * session's pid, which sshd made a session and process group leader: `$$` is the process group of the script.
 */
export function bashCommand(script: string, args: readonly (string | number)[] = []): string {
  const words = args.map((a) => shellQuote(String(a))).join(' ')
  return `exec /bin/bash -c 'printf -v __topup %b "${escapeBytes(script)}"; eval "$__topup"' topup ${words}`.trimEnd()
}

function escapeBytes(script: string): string {
  let out = ''
  for (const byte of Buffer.from(script, 'utf8')) {
    const safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
      || ' #%&()*+,-./:;<=>?@[]^_{|}~'.includes(String.fromCharCode(byte))
    out += safe ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

/**
 * The user's command, preceded by the line that tells its process group and the group leader's start time: the
 * frame's `PGID` line, tagged per call so that no line a login shell prints can be taken for it. The script goes
 * to the channel's stdin, ended by a NUL byte, not on the command line: every user of a shared login host sees
 * every process's arguments, and the script carries the values of the step's own env. The command line is the
 * same for every command.
 */
export function commandWithPgid(command: string, frame: Frame): { command: string; stdin: string } {
  const script = `unset __topup; read -r -a topup_stat < /proc/$$/stat; ${frame.printLine('PGID', '$$', '${topup_stat[21]}')}; unset topup_stat\n${command}`
  return { command: STDIN_LAUNCHER, stdin: `${script}\0` }
}

const STDIN_LAUNCHER = `exec /bin/bash -c 'IFS= read -r -d "" __topup; eval "$__topup"'`

/**
 * Signals a process group (TERM or KILL; CHECK only looks), refusing when its leader is a different process than
 * the one recorded (a reused pid has another start time). When the leader is gone but members run, the id cannot
 * have been reused: Linux does not hand out a pid that is still some group's id. Answers (framed) GONE (no live
 * member), REUSED, RUNNING (CHECK) or SIGNALLED; a signal that cannot be delivered answers FAILED and exits 1.
 * TERM, grace and KILL are sequenced by stopProcessGroup, the same for every host.
 */
const KILL_SCRIPT = `pg=$1 start=$2 mode=$3
case "$pg" in ''|*[!0-9]*|0|1) frame_put "FAILED bad pgid"; exit 2;; esac
alive() { ps -e -o pgid=,stat= | awk -v g="$pg" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; }
if [ -r /proc/$pg/stat ] && [ "$start" != - ]; then
  now=$(cut -d' ' -f22 /proc/$pg/stat 2>/dev/null)
  if [ -n "$now" ] && [ "$now" != "$start" ]; then frame_put REUSED; exit 0; fi
fi
alive || { frame_put GONE; exit 0; }
[ "$mode" = CHECK ] && { frame_put RUNNING; exit 0; }
if err=$(kill -"$mode" -- -$pg 2>&1); then frame_put SIGNALLED; exit 0; fi
alive || { frame_put GONE; exit 0; }
frame_put "FAILED \${err//$'\\n'/ }"; exit 1`

export type KillMode = 'TERM' | 'KILL' | 'CHECK'

export function killGroupCommand(pgid: number, startTime: string | null, mode: KillMode, frame: Frame): string {
  return bashCommand(frame.wrap(KILL_SCRIPT), [pgid, startTime ?? '-', mode])
}
