import t from 'tap'
import { readFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { root, sourceFiles, specifiersOf, type ImportSpecifier } from './helpers/imports.js'

/**
 * Every package the code imports is declared in package.json. A package that is only there because npm hoisted
 * another package's dependency works until that package changes its own dependencies. src/ runs in production,
 * so what it loads must be in `dependencies`; test/, scripts/ and bench/ may use `devDependencies` as well.
 * Types are needed at compile time only: the package that provides an import's types (the package itself, or
 * @types/<name>, as TypeScript resolves it) must be declared in either.
 */

const folders = ['src', 'test', 'scripts', 'bench']

interface Manifest { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
interface ImportSite extends ImportSpecifier {
  /** Relative to the repository, e.g. src/auth/plugin.ts. */
  file: string
  /** The package TypeScript takes the types from (undefined: not a TypeScript file). */
  typesFrom: string | null | undefined
}

const isBare = (specifier: string) => !/^[./#]/.test(specifier) && !/^[a-z]+:/.test(specifier) && !isBuiltin(specifier)

/** 'typebox/value' → 'typebox', '@fastify/static/x' → '@fastify/static'. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
}

function scanImports(): ImportSite[] {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config as unknown
  const options = ts.parseJsonConfigFileContent(config, ts.sys, root).options
  const cache = ts.createModuleResolutionCache(root, (name) => name, options)
  return sourceFiles(folders).flatMap((file) => specifiersOf(file).filter((s) => isBare(s.specifier)).map((s) => {
    const typesFrom = /\.[cm]?js$/.test(file) ? undefined : ts.resolveModuleName(s.specifier, join(root, file), options,
      ts.sys, cache, undefined, ts.ModuleKind.ESNext).resolvedModule?.packageId?.name ?? null
    return { file, ...s, typesFrom }
  }))
}

function dependencyProblems(imports: ImportSite[], manifest: Manifest): string[] {
  const production = new Set(Object.keys(manifest.dependencies ?? {}))
  const development = new Set(Object.keys(manifest.devDependencies ?? {}))
  const declared = (name: string) => production.has(name) || development.has(name)
  const problems = new Set<string>()
  for (const site of imports) {
    const name = packageOf(site.specifier)
    const runtime = site.file.startsWith('src/') ? production : new Set([...production, ...development])
    if (!site.typeOnly && !runtime.has(name)) {
      problems.add(`${site.file} imports ${name}, which package.json declares ` +
        (development.has(name) ? 'only in devDependencies (src/ runs in production)' : 'nowhere'))
    } else if (site.typesFrom === null) {
      problems.add(`${site.file} imports ${site.specifier}, which TypeScript cannot resolve`)
    } else if (site.typesFrom !== undefined && !declared(site.typesFrom)) {
      problems.add(`${site.file} imports ${name}, whose types come from ${site.typesFrom}, which package.json declares nowhere`)
    }
  }
  return [...problems].sort()
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest
const imports = scanImports()

t.test('every imported package is declared in package.json', async (t) => {
  t.ok(imports.some((s) => s.file === relative(root, fileURLToPath(import.meta.url)) && s.specifier === 'typescript'),
    'the scan sees this file import typescript')
  t.ok(imports.some((s) => s.file.startsWith('src/') && s.specifier === 'typebox/value' && s.typesFrom === 'typebox'))
  t.same(dependencyProblems(imports, manifest), [])
})

t.test('the check fails for an undeclared package, a production import of a dev dependency and missing types', async (t) => {
  const changed = (change: (copy: Required<Manifest>) => void) => {
    const copy = structuredClone(manifest) as Required<Manifest>
    change(copy)
    // one line per kind of fault in src/, whichever files there import the package
    return [...new Set(dependencyProblems(imports, copy).filter((p) => p.startsWith('src/'))
      .map((p) => p.replace(/^src\/\S+ /, 'src/… ')))]
  }
  t.same(changed((m) => { delete m.dependencies['fastify-plugin'] }),
    ['src/… imports fastify-plugin, which package.json declares nowhere'])
  t.same(changed((m) => { m.devDependencies.ssh2 = m.dependencies.ssh2!; delete m.dependencies.ssh2 }),
    ['src/… imports ssh2, which package.json declares only in devDependencies (src/ runs in production)'])
  t.same(changed((m) => { delete m.devDependencies['@types/ssh2'] }),
    ['src/… imports ssh2, whose types come from @types/ssh2, which package.json declares nowhere'])
})

t.test('subpaths and scopes name their package', async (t) => {
  t.same(['typebox/value', '@fastify/static', '@a/b/c', 'ws'].map(packageOf), ['typebox', '@fastify/static', '@a/b', 'ws'])
})
