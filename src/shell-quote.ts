/**
 * POSIX shell quoting. A word is wrapped in single quotes, inside which nothing is special; an embedded single
 * quote becomes '\'' (close, escaped quote, reopen). Safe for bash, dash and the remote login shells.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/

export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/** Quotes each word and joins them with single spaces, so each stays one argument. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ')
}
