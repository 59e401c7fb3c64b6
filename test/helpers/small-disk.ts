import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface Teardown { teardown(fn: () => unknown): void }

export interface SmallDisk {
  /** The mount point: a tmpfs of its own, a few MB. */
  dir: string
  /** Writes a filler file until the disk refuses another byte (ENOSPC). */
  fill(): void
  /** Removes the filler: the space is back. */
  free(): void
}

/**
 * A small disk that a test fills and frees (as root): a tmpfs mounted on a fresh folder, unmounted when the test
 * ends. tmpfs keeps no blocks back for root (ext4 keeps 5 %, where root would still write), so full is full.
 * Unmounted lazily: a process the test started may still hold a file there.
 */
export function smallDisk(t: Teardown, sizeMb = 4): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'topup-small-disk-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir])
  const filler = join(dir, 'filler')
  t.teardown(() => {
    execFileSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a')
      try {
        // big chunks first, then pages: the last one that fits is written too
        for (const size of [256 * 1024, 4096, 1]) {
          const chunk = Buffer.alloc(size)
          try {
            for (;;) writeSync(fd, chunk)
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
          }
        }
      } finally {
        closeSync(fd)
      }
    },
    free() {
      rmSync(filler, { force: true })
    },
  }
}
