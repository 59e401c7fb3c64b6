#!/usr/bin/env node
// Draws a plot of the simulated site as an 8-bit RGB PNG (what merge-plots.mjs merges into a PDF): a title, a few
// pads with a histogram whose peak depends on the seed, and, for a plot the algorithm gave up on, a red "ABNORMAL"
// stamp with the reason, as the real ETS_cut stamps its plots. The stamp is also kept as the PNG's Comment text
// ("abnormal: <reason>"), so that a program can find it. Written under a temporary name, then renamed.
//   node plot-png.mjs <out.png> <title> <seed> <pads> [stamp line...]
import { renameSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { deflateSync } from 'node:zlib'

const [out, title, seedText, padsText, ...stamp] = process.argv.slice(2)
const seed = Number(seedText)
const pads = Number(padsText)
if (!out || title === undefined || !Number.isInteger(seed) || !Number.isInteger(pads) || pads < 1 || pads > 4) {
  console.error('usage: plot-png.mjs <out.png> <title> <seed> <pads 1-4> [stamp line...]')
  process.exit(2)
}

const width = 360
const height = 240
const pixels = Buffer.alloc(width * height * 3, 255)
const rect = (x0, y0, w, h, [r, g, b]) => {
  for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
    for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) pixels.set([r, g, b], (y * width + x) * 3)
  }
}

// 5x7 glyphs: each character followed by its 35 pixels, seven rows of five
const GLYPHS = new Map(('A01110100011000111111100011000110001B11110100011000111110100011000111110C01110100011000010000100001000101110' +
  'D11110100011000110001100011000111110E11111100001000011110100001000011111F11111100001000011110100001000010000' +
  'G01110100011000010111100011000101111H10001100011000111111100011000110001I01110001000010000100001000010001110' +
  'J00111000100001000010000101001001100K10001100101010011000101001001010001L10000100001000010000100001000011111' +
  'M10001110111010110101100011000110001N10001100011100110101100111000110001O01110100011000110001100011000101110' +
  'P11110100011000111110100001000010000Q01110100011000110001101011001001101R11110100011000111110101001001010001' +
  'S01111100001000001110000010000111110T11111001000010000100001000010000100U10001100011000110001100011000101110' +
  'V10001100011000110001100010101000100W10001100011000110101101011010101010X10001100010101000100010101000110001' +
  'Y10001100011000101010001000010000100Z11111000010001000100010001000011111001110100011001110101110011000101110' +
  '100100011000010000100001000010001110201110100010000100010001000100011111311111000100010000010000011000101110' +
  '400010001100101010010111110001000010511111100001111000001000011000101110600110010001000011110100011000101110' +
  '711111000010001000100010000100001000801110100011000101110100011000101110901110100011000101111000010001001100' +
  ' 00000000000000000000000000000000000.00000000000000000000000000110001100_00000000000000000000000000000011111' +
  '-00000000000000011111000000000000000:00000011000110000000011000110000000/00000000010001000100010001000000000' +
  '(00010001000100001000010000010000010)01000001000001000010000100010001000=00000000001111100000111110000000000' +
  ',00000000000000000000011000010001000?01110100010000100010001000000000100').match(/.[01]{35}/g).map((g) => [g[0], g.slice(1)]))
const text = (x, y, words, scale, color) => {
  for (const [i, char] of [...words.toUpperCase()].entries()) {
    const bits = GLYPHS.get(char) ?? GLYPHS.get('?')
    ;[...bits].forEach((bit, n) => {
      if (bit === '1') rect(x + (i * 6 + (n % 5)) * scale, y + Math.floor(n / 5) * scale, scale, scale, color)
    })
  }
}
const centred = (y, words, scale, color) => text(Math.round((width - words.length * 6 * scale) / 2), y, words, scale, color)

centred(8, title, 2, [0, 0, 0])
const padWidth = Math.floor((width - 20) / pads)
for (let p = 0; p < pads; p++) {
  const x0 = 10 + p * padWidth + 8
  const w = padWidth - 16
  const [top, bottom] = [36, height - 16]
  rect(x0, top, 1, bottom - top, [0, 0, 0])
  rect(x0, bottom, w, 1, [0, 0, 0])
  const peak = 0.2 + (((seed * 7919 + p * 104729) % 1000) / 1000) * 0.6
  const bins = 40
  for (let b = 0; b < bins; b++) {
    const u = (b + 0.5) / bins
    const value = Math.exp(-(((u - peak) / 0.08) ** 2)) * 0.9 + 0.05
    const h = Math.round(value * (bottom - top - 4))
    rect(x0 + 2 + Math.floor((b * (w - 4)) / bins), bottom - h, Math.max(1, Math.floor((w - 4) / bins)), h, [40, 80, 220])
  }
}
if (stamp.length > 0) {
  centred(70, 'ABNORMAL', 5, [220, 0, 0])
  stamp.forEach((line, i) => centred(120 + i * 20, line, 2, [220, 0, 0]))
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (data) => {
  let c = 0xffffffff
  for (const byte of data) c = CRC[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type, body) => {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(body.length, 0)
  head.write(type, 4, 'latin1')
  const tail = Buffer.alloc(4)
  tail.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0)
  return Buffer.concat([head, body, tail])
}
const header = Buffer.alloc(13)
header.writeUInt32BE(width, 0)
header.writeUInt32BE(height, 4)
header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
const rows = Buffer.alloc((width * 3 + 1) * height)
for (let y = 0; y < height; y++) pixels.copy(rows, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3)
const parts = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header)]
if (stamp.length > 0) parts.push(chunk('tEXt', Buffer.from(`Comment\0abnormal: ${stamp.join('; ')}`, 'latin1')))
parts.push(chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0)))
const part = join(dirname(out), `.${basename(out)}.part.${process.pid}`)
writeFileSync(part, Buffer.concat(parts))
renameSync(part, out)
