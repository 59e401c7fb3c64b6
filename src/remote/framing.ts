import { randomBytes } from 'node:crypto'

/**
 * Values the service reads back from a command (a process group id, an exit code, file listings, check results)
 * travel in a frame: login hosts print `.bashrc` lines, banners and module chatter on stdout and stderr of every
 * command, and such a line may look like any value. Each call gets a random tag that no noise can contain; the
 * script prints a begin line, one tagged line per value and an end line with the count, and only those lines are
 * read. A missing begin or end line, or a count that does not match, is a FramingError naming the command, never
 * a wrong value.
 */
export class FramingError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FramingError'
  }
}

export class Frame {
  /** Printed at the start of every framed line; random per call. */
  readonly tag = `@@TOPUP-${randomBytes(8).toString('hex')}`

  /** `what` names the command in errors ("file check in /data/run1"). */
  constructor(readonly what: string) {}

  /**
   * The script with its frame: the begin line first, and the end line with the number of values whatever way
   * the script exits. The script prints each value with `frame_put "VALUE"` (one argument, one line; the value
   * must hold no newline). Positional parameters are left as they are.
   */
  wrap(script: string): string {
    return `frame_n=0
frame_put() { printf '%s V %s\\n' ${this.tag} "$1"; frame_n=$((frame_n + 1)); }
trap 'printf "%s END %d\\n" ${this.tag} "$frame_n"' EXIT
printf '%s BEGIN\\n' ${this.tag}
${script}`
  }

  /** A bash command printing one tagged line `<tag> <kind> <words…>`, for a line read on its own (see lineOf). */
  printLine(kind: string, ...words: string[]): string {
    return `printf '%s\\n' "${this.tag} ${kind}${words.map((w) => ` ${w}`).join('')}"`
  }

  /**
   * The rest of a line that is this frame's `kind` line, with any text before the tag (a banner without a final
   * newline ends up in front of the first line the script prints); null for every other line.
   */
  lineOf(line: string, kind: string): { before: string; rest: string } | null {
    const head = `${this.tag} ${kind}`
    const at = line.indexOf(head)
    if (at < 0) return null
    const rest = line.slice(at + head.length)
    if (rest !== '' && !rest.startsWith(' ')) return null
    return { before: line.slice(0, at), rest: rest.slice(1) }
  }

  reader(): FrameReader {
    return new FrameReader(this)
  }

  /** The values of a whole output (stdout), e.g. of a command collected in one piece. */
  valuesIn(stdout: string): string[] {
    const reader = this.reader()
    for (const line of stdout.split('\n')) reader.take(line)
    return reader.values()
  }
}

/** Collects a frame's values from the lines of a command's stdout, as they arrive. */
export class FrameReader {
  private begun = false
  private end: number | null = null
  private readonly taken: string[] = []

  constructor(readonly frame: Frame) {}

  /** True when the line belongs to the frame (and was taken); false for any other output. */
  take(line: string): boolean {
    const { frame } = this
    if (frame.lineOf(line, 'BEGIN')?.rest === '') {
      this.begun = true
      return true
    }
    const value = frame.lineOf(line, 'V')
    if (value) {
      if (this.begun && this.end === null) this.taken.push(value.rest)
      return true
    }
    const end = frame.lineOf(line, 'END')
    if (end && /^\d+$/.test(end.rest)) {
      if (this.begun && this.end === null) this.end = Number(end.rest)
      return true
    }
    return false
  }

  /** Every value in order; throws FramingError when the frame is missing or incomplete. */
  values(): string[] {
    const { what } = this.frame
    if (!this.begun) throw new FramingError(`${what}: its output holds no framed answer (the begin line is missing)`)
    if (this.end === null) throw new FramingError(`${what}: its framed answer is cut off (the end line is missing)`)
    if (this.end !== this.taken.length) {
      throw new FramingError(`${what}: its framed answer is incomplete (${this.taken.length} of ${this.end} values)`)
    }
    return [...this.taken]
  }

  /** The only value; throws FramingError unless there is exactly one. */
  value(): string {
    const values = this.values()
    if (values.length !== 1) throw new FramingError(`${this.frame.what}: expected one framed value, got ${values.length}`)
    return values[0]!
  }
}

/**
 * A stream whose content starts after the frame's begin line: what a login shell printed before it is noise,
 * not content. Used where the content is not ours to tag (a detached command's output files, streamed).
 */
export class FramedStream {
  private open = false

  constructor(private readonly frame: Frame) {}

  /** The bash command that opens the frame on stdout (`>&2` appended: on stderr). */
  get beginCommand(): string {
    return `printf '%s BEGIN\\n' ${this.frame.tag}`
  }

  /** True for a content line; the begin line and everything before it are not content. */
  isContent(line: string): boolean {
    if (this.open) return true
    if (this.frame.lineOf(line, 'BEGIN')?.rest === '') this.open = true
    return false
  }

  get opened(): boolean {
    return this.open
  }
}
