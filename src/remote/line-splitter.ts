import { StringDecoder } from 'node:string_decoder'

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024

/**
 * Splits a byte stream into lines as chunks arrive. UTF-8 characters cut by a chunk boundary are decoded once
 * whole; a trailing "\r" is dropped. A line longer than `maxLineLength` characters is cut there and the rest of
 * it is only counted, so memory stays bounded whatever the stream holds. Each line comes with the number of raw
 * bytes it consumed (newline, "\r", cut and invalid bytes included), so a reader can resume at an exact offset.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''
  private dropped = 0
  private bytes = 0
  private readonly maxLineLength: number

  constructor(
    private readonly onLine: (line: string, bytes: number) => void,
    options: { maxLineLength?: number } = {},
  ) {
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH
  }

  push(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    let start = 0
    for (;;) {
      const newline = data.indexOf(0x0a, start)
      if (newline === -1) break
      // a newline byte is never part of a multibyte character: the line's bytes decode on their own
      this.bytes += newline + 1 - start
      const text = this.decoder.write(data.subarray(start, newline)) + this.decoder.end()
      this.append(text, 0)
      this.emit()
      start = newline + 1
    }
    if (start < data.length) {
      this.bytes += data.length - start
      this.append(this.decoder.write(data.subarray(start)), 0)
    }
  }

  /** Flushes the last line when the stream ended without a newline. */
  end(): void {
    this.append(this.decoder.end(), 0)
    if (this.partial !== '' || this.dropped > 0 || this.bytes > 0) this.emit()
  }

  private append(text: string, from: number, to = text.length): void {
    if (from >= to) return
    const room = this.maxLineLength - this.partial.length
    if (room >= to - from) {
      this.partial += text.slice(from, to)
      return
    }
    let cut = from + Math.max(room, 0)
    // never keep half of a surrogate pair
    if (cut > from && isHighSurrogate(text.charCodeAt(cut - 1))) cut--
    this.partial += text.slice(from, cut)
    this.dropped += to - cut
  }

  private emit(): void {
    let line = this.partial.endsWith('\r') && this.dropped === 0 ? this.partial.slice(0, -1) : this.partial
    if (this.dropped > 0) line += ` … [line cut: ${this.dropped} more characters]`
    const bytes = this.bytes
    this.partial = ''
    this.dropped = 0
    this.bytes = 0
    this.onLine(line, bytes)
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
