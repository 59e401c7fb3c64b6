import { spawnSync } from 'node:child_process'
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Compiles one bench script and what it imports (emit only, as `npm run build` does) into `dir`, beside a link
 * to node_modules, and returns the compiled script: run by plain node, a bench measures the server's memory as
 * `npm start` has it — tsx holds some 60 MB more for the same modules.
 */
export function buildForNode(script: string, dir: string): string {
  const config = join(dir, 'tsconfig.json')
  writeFileSync(config, JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: { noEmit: false, noCheck: true, rootDir: root, outDir: join(dir, 'out') },
    files: [join(root, script)], include: [],
  }))
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`tsc of ${script} failed: ${r.stdout}${r.stderr}`)
  return join(dir, 'out', script.replace(/\.ts$/, '.js'))
}
