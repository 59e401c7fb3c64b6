import { mkdir, open, realpath } from 'node:fs/promises'
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path'

/**
 * Where downloaded files live: DATA_DIR/artifacts/<task id>/<name>. The database keeps the path relative to
 * DATA_DIR (`artifacts/12/merged.pdf`); whoever serves a file resolves it with `resolveArtifactFile`, which
 * refuses anything outside the artifacts folder, whatever the stored row says.
 */
export const ARTIFACTS_FOLDER = 'artifacts'
const MAX_NAME_BYTES = 200
const MAX_COPIES = 10_000

export function artifactsRoot(dataDir: string): string {
  return resolve(dataDir, ARTIFACTS_FOLDER)
}

export function taskArtifactDir(dataDir: string, taskId: number): string {
  return join(artifactsRoot(dataDir), String(taskId))
}

/** The path kept in step_outputs.output_path: relative to DATA_DIR, with forward slashes. */
export function storedPathOf(dataDir: string, localPath: string): string {
  return relative(resolve(dataDir), localPath).split(sep).join('/')
}

/** A local file name from a remote path: its last component, without control characters or separators. */
export function safeFileName(remotePath: string): string {
  const base = remotePath.replace(/\/+$/, '').split('/').pop() ?? ''
  let name = base.replace(/[\u0000-\u001f\u007f\\]/g, '_')
  if (name === '' || name === '.' || name === '..') name = 'file'
  return truncateName(name)
}

/**
 * Creates an empty file of that name in `dir`, or of `name (2).ext`, `name (3).ext`… when taken, and returns the
 * name used. Exclusive creation, so two downloads into one folder can never pick the same name.
 */
export async function reserveFile(dir: string, name: string): Promise<{ name: string; path: string }> {
  await mkdir(dir, { recursive: true })
  const ext = extname(name) === name ? '' : extname(name)
  const stem = name.slice(0, name.length - ext.length)
  for (let copy = 1; copy <= MAX_COPIES; copy++) {
    const candidate = copy === 1 ? name : truncateName(`${stem} (${copy})${ext}`)
    const path = join(dir, candidate)
    try {
      await (await open(path, 'wx')).close()
      return { name: candidate, path }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  throw new Error(`too many files named ${name} in ${dir}`)
}

export type ResolvedArtifact =
  | { kind: 'file'; path: string }
  | { kind: 'missing' }
  /** The stored path points outside the artifacts folder (by `..`, an absolute path or a symbolic link). */
  | { kind: 'outside' }

export async function resolveArtifactFile(dataDir: string, storedPath: string | null): Promise<ResolvedArtifact> {
  if (!storedPath || storedPath.includes('\0') || isAbsolute(storedPath)) return { kind: 'outside' }
  const root = artifactsRoot(dataDir)
  const full = resolve(dataDir, storedPath)
  if (!isInside(root, full)) return { kind: 'outside' }
  let real: string
  let realRoot: string
  try {
    realRoot = await realpath(root)
    real = await realpath(full)
  } catch {
    return { kind: 'missing' }
  }
  return isInside(realRoot, real) ? { kind: 'file', path: real } : { kind: 'outside' }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/** Shortens a name to MAX_NAME_BYTES of UTF-8 (file systems allow 255), keeping a short extension. */
function truncateName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name
  const ext = extname(name)
  const keep = ext.length > 0 && Buffer.byteLength(ext) <= 20 ? ext : ''
  const chars = [...name.slice(0, name.length - keep.length)]
  while (chars.length > 1 && Buffer.byteLength(chars.join('') + keep) > MAX_NAME_BYTES) chars.pop()
  return chars.join('') + keep
}
