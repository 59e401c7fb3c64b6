import type { Translate } from './messages.js'

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number }

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const
export type Colour = keyof typeof codes

/**
 * Where and how the command writes: data to stdout (a table, or JSON with --json), remarks and errors to stderr.
 * Colour only when stdout is a terminal and NO_COLOR is unset (any value, https://no-color.org).
 */
export class Output {
  readonly color: boolean
  readonly tty: boolean

  constructor(readonly stdout: Stream, readonly stderr: Stream, env: NodeJS.ProcessEnv, readonly json: boolean,
    readonly t: Translate) {
    this.tty = stdout.isTTY === true
    this.color = this.tty && env.NO_COLOR === undefined
  }

  paint(colour: Colour, text: string): string {
    return this.color ? `\x1b[${codes[colour]}m${text}\x1b[0m` : text
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`)
  }

  note(text: string): void {
    this.stderr.write(`${text}\n`)
  }

  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`)
  }

  /** Columns padded to their widest cell (by display width, so Chinese text lines up). */
  table(headers: string[], rows: string[][]): void {
    const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))))
    const render = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd()
    this.line(this.paint('bold', render(headers)))
    for (const row of rows) this.line(render(row))
  }

  get columns(): number {
    // a terminal that does not know its size says 0
    return this.stdout.columns || 80
  }

  get rows(): number {
    return this.stdout.rows || 24
  }
}

/** Terminal columns a text takes: East Asian wide characters take two. */
export function displayWidth(text: string): number {
  let width = 0
  for (const char of text) width += isWide(char.codePointAt(0)!) ? 2 : 1
  return width
}

export function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)))
}

/** The text cut to `width` columns, with … when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text
  let out = ''
  for (const char of text) {
    if (displayWidth(out + char) > width - 1) break
    out += char
  }
  return `${out}…`
}

function isWide(code: number): boolean {
  return (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3)
    || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60)
    || (code >= 0xffe0 && code <= 0xffe6)
}

export function bytes(n: number | null): string {
  if (n === null) return '-'
  if (n < 1024) return `${n} B`
  return n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`
}

/** HH:MM:SS.mmm in the local time zone. */
export function clockTime(iso: string): string {
  const d = new Date(iso)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

/** YYYY-MM-DD HH:MM in the local time zone. */
export function dateTime(iso: string | null): string {
  if (!iso) return '-'
  const d = new Date(iso)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`
}
