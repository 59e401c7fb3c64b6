import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The ids of the test sites under `root` that a test process which died left behind: each site's folder holds
 * the pid of the process that made it in `owner`, and that process no longer runs. A folder without one is being
 * made by another test file right now, unless it is old.
 */
export function abandonedSites(root: string): string[] {
  if (!existsSync(root)) return []
  return readdirSync(root).filter((id) => {
    const dir = join(root, id)
    let owner = 0
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'))
    } catch {
      if (Date.now() - statSync(dir).mtimeMs < 60_000) return false
    }
    return !(owner > 0 && existsSync(`/proc/${owner}`))
  })
}
