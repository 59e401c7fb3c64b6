import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Static HepJob stand-ins for the poller bench, in a folder of their own: no runner process per job (10,000 of
 * them would measure the machine, not the service). `hep_q` prints a pregenerated listing of every job in
 * domain.md's format while the state file says `running` and an empty queue once it says `completed`;
 * `condor_history` then answers `C P 4 0 undefined` (completed, exit code 0) for each id it is asked about;
 * `hep_sub -n N` prints N submission lines with cluster ids unique across concurrent calls. hep_q and
 * condor_history append their name to a counter file on every run.
 */
export interface StaticCluster {
  /** The tools folder (for a step's `jobs.tools`). */
  bin: string
  setState(state: 'running' | 'completed'): void
  /** Runs of each tool so far, from the counter file. */
  runs(): { hep_q: number; condor_history: number }
}

const HEADER = 'JOBID           OWNER           SUBMITTED       RUN_TIME        ST PRI SIZE  CMD'

function listing(user: string, jobs: number): string {
  const rows = Array.from({ length: jobs }, (_, i) =>
    `${`${i + 1}.0`.padEnd(16)}${user.padEnd(16)}01/13 20:24     0+02:04:08      R  0   732.0 job.sh`)
  return [HEADER, ...rows, '', `${jobs} jobs; 0 completed, 0 removed, 0 idle, ${jobs} running, 0 held, 0 suspended`, ''].join('\n')
}

function tool(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/bash\nd=${JSON.stringify(join(bin, '..'))}\n${body}`)
  chmodSync(join(bin, name), 0o755)
}

/** Writes the tools and a listing of `jobs` jobs (ids 1.0 … N.0) of `user` under `dir`; the state starts `running`. */
export function installStaticCluster(dir: string, user: string, jobs: number): StaticCluster {
  const bin = join(dir, 'bin')
  mkdirSync(bin, { recursive: true })
  writeFileSync(join(dir, 'queue-running'), listing(user, jobs))
  writeFileSync(join(dir, 'queue-completed'), listing(user, 0))
  writeFileSync(join(dir, 'counts'), '')
  writeFileSync(join(dir, 'next'), '1\n')
  tool(bin, 'hep_q', 'echo hep_q >> "$d/counts"\nread -r s < "$d/state"\nexec cat "$d/queue-$s"\n')
  tool(bin, 'condor_history', [
    'echo condor_history >> "$d/counts"',
    'read -r s < "$d/state"',
    '[ "$s" = completed ] || exit 0',
    // `-limit N <ids> -af <attributes>`: one line per id, newest first (there is only one)
    'for a; do [[ $a =~ ^([0-9]+)\\.([0-9]+)$ ]] && echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} 4 0 undefined"; done',
    'exit 0', '',
  ].join('\n'))
  tool(bin, 'hep_sub', [
    'n=1; [ "$1" = -n ] && n=$2',
    'exec 9>>"$d/next.lock"; flock 9',
    'read -r first < "$d/next"; echo $((first + n)) > "$d/next"',
    'exec 9>&-',
    'for ((i = first; i < first + n; i++)); do echo "1 job(s) submitted to cluster $i."; done', '',
  ].join('\n'))
  const cluster: StaticCluster = {
    bin,
    setState: (state) => writeFileSync(join(dir, 'state'), `${state}\n`),
    runs: () => {
      const lines = readFileSync(join(dir, 'counts'), 'utf8').split('\n')
      return { hep_q: lines.filter((l) => l === 'hep_q').length, condor_history: lines.filter((l) => l === 'condor_history').length }
    },
  }
  cluster.setState('running')
  return cluster
}
