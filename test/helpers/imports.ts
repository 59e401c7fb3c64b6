import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** The repository root; every path below is relative to it (e.g. src/auth/plugin.ts). */
export const root = fileURLToPath(new URL('../..', import.meta.url))
const scanned = /\.(ts|mts|cts|js|mjs|cjs)$/

export interface ImportSpecifier {
  specifier: string
  /** Erased from the JavaScript: only its types are needed. */
  typeOnly: boolean
}

export function sourceFiles(folders: readonly string[]): string[] {
  return folders.flatMap((folder) => readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => scanned.test(name) && !name.split('/').includes('node_modules'))
    .map((name) => join(folder, name)))
}

/** The module specifiers of one file, from its syntax tree, so comments and strings do not count. */
export function specifiersOf(file: string): ImportSpecifier[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true)
  const found: ImportSpecifier[] = []
  const add = (node: ts.Node | undefined, typeOnly: boolean) => {
    if (node && ts.isStringLiteralLike(node)) found.push({ specifier: node.text, typeOnly })
  }
  const visit = (node: ts.Node): void => {
    // Only `import type` / `export type` are erased: under verbatimModuleSyntax `import { type A } from 'x'`
    // stays in the JavaScript as `import {} from 'x'`, so x is still loaded.
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, node.importClause?.isTypeOnly === true)
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly)
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false)
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true)
    // `declare module 'fastify' { … }` in a module augments that package's types
    else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name) && ts.isExternalModule(source)) add(node.name, true)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}
