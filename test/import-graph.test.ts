import t from 'tap'
import { dirname, join, normalize } from 'node:path'
import { sourceFiles, specifiersOf } from './helpers/imports.js'

/**
 * The import graph of src/ has no cycle, type-only imports included: a cycle means two files (or two layers)
 * each need the other, so neither can be read, tested or moved alone — e.g. app.ts ↔ api/ through a shared type.
 * A type both need belongs in a leaf module (src/domain.ts, an interfaces file).
 */

const files = sourceFiles(['src'])
const known = new Set(files)

/** File → the src files it imports (relative specifiers only, `.js` written for the `.ts` file). */
function importGraph(): Map<string, string[]> {
  return new Map(files.map((file) => [file, specifiersOf(file)
    .filter((s) => s.specifier.startsWith('.'))
    .map((s) => normalize(join(dirname(file), s.specifier.replace(/\.js$/, '.ts'))))
    .filter((target) => known.has(target))]))
}

/** Every cycle found by a depth-first walk, each as the path that closes it. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const walk = (node: string) => {
    state.set(node, 'open')
    path.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next].join(' → '))
      else if (!state.has(next)) walk(next)
    }
    path.pop()
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) walk(node)
  return found
}

/** src/api/routes/tasks.ts → api; src/app.ts → app. */
const layerOf = (file: string) => file.split('/')[1]!.replace(/\.ts$/, '')

function layerGraph(graph: Map<string, string[]>): Map<string, string[]> {
  const layers = new Map<string, Set<string>>()
  for (const [file, targets] of graph) {
    const from = layerOf(file)
    const set = layers.get(from) ?? new Set<string>()
    layers.set(from, set)
    for (const target of targets) if (layerOf(target) !== from) set.add(layerOf(target))
  }
  return new Map([...layers].map(([layer, set]) => [layer, [...set]]))
}

const graph = importGraph()

t.test('no file of src/ imports itself through others', async (t) => {
  t.ok(graph.get('src/app.ts')?.includes('src/api/deps.ts'), 'the scan sees app.ts import api/deps.ts')
  t.same(cycles(graph), [])
})

t.test('the layers of src/ (its folders and top-level files) import in one direction', async (t) => {
  t.same(cycles(layerGraph(graph)), [])
})

t.test('a cycle is found', async (t) => {
  t.same(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), ['a → b → c → a'])
})
