#!/usr/bin/env node
// Merge plots (step 1.4) for the demo, where ImageMagick's `convert *.png merged.pdf` is not available: writes a
// PDF with one page per PNG (8-bit grey or RGB, not interlaced — what the plots are), the PNG's compressed data
// embedded as is (PDF's Flate filter with the PNG predictor reads it directly), and the file name above it.
//   node merge-plots.mjs <output.pdf> <plot.png>...
import { readFileSync, writeFileSync, renameSync } from 'node:fs'
import { basename, resolve } from 'node:path'

const [output, ...inputs] = process.argv.slice(2)
if (!output || inputs.length === 0) {
  console.error('usage: merge-plots.mjs <output.pdf> <plot.png>...')
  process.exit(2)
}

function readPng(file) {
  const data = readFileSync(file)
  if (!data.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) throw new Error(`${file}: not a PNG`)
  let header = null
  const idat = []
  for (let at = 8; at + 8 <= data.length;) {
    const length = data.readUInt32BE(at)
    const type = data.toString('latin1', at + 4, at + 8)
    const body = data.subarray(at + 8, at + 8 + length)
    if (type === 'IHDR') {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], color: body[9], interlace: body[12] }
    } else if (type === 'IDAT') idat.push(body)
    at += 12 + length
  }
  if (!header || header.depth !== 8 || ![0, 2].includes(header.color) || header.interlace !== 0) {
    throw new Error(`${file}: only 8-bit grey or RGB non-interlaced PNGs can be merged`)
  }
  return { ...header, colors: header.color === 2 ? 3 : 1, data: Buffer.concat(idat) }
}

const objects = [] // index i holds object number i + 1
const add = (body) => { objects.push(body); return objects.length }
const pageWidth = 595
const pageHeight = 842
const pagesRef = 2
add(null) // 1: catalog, written last
add(null) // 2: page tree, written last
const font = add(Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'))
const pages = []
for (const file of inputs) {
  const png = readPng(file)
  const image = add(Buffer.concat([
    Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${png.width} /Height ${png.height} /ColorSpace ` +
      `${png.colors === 3 ? '/DeviceRGB' : '/DeviceGray'} /BitsPerComponent 8 /Filter /FlateDecode ` +
      `/DecodeParms << /Predictor 15 /Colors ${png.colors} /BitsPerComponent 8 /Columns ${png.width} >> ` +
      `/Length ${png.data.length} >>\nstream\n`),
    png.data, Buffer.from('\nendstream'),
  ]))
  const scale = Math.min((pageWidth - 80) / png.width, (pageHeight - 160) / png.height)
  const w = (png.width * scale).toFixed(2)
  const h = (png.height * scale).toFixed(2)
  const title = basename(file).replace(/[\\()]/g, '\\$&').replace(/[^\x20-\x7e]/g, '?')
  const content = `BT /F1 14 Tf 40 ${pageHeight - 60} Td (${title}) Tj ET\nq ${w} 0 0 ${h} 40 ${(pageHeight - 90 - Number(h)).toFixed(2)} cm /Im Do Q\n`
  const stream = add(Buffer.from(`<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}endstream`))
  pages.push(add(Buffer.from(`<< /Type /Page /Parent ${pagesRef} 0 R /MediaBox [0 0 ${pageWidth} ${pageHeight}] ` +
    `/Resources << /Font << /F1 ${font} 0 R >> /XObject << /Im ${image} 0 R >> >> /Contents ${stream} 0 R >>`)))
}
objects[0] = Buffer.from(`<< /Type /Catalog /Pages ${pagesRef} 0 R >>`)
objects[1] = Buffer.from(`<< /Type /Pages /Kids [${pages.map((p) => `${p} 0 R`).join(' ')}] /Count ${pages.length} >>`)

const parts = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
let offset = parts[0].length
const offsets = []
objects.forEach((body, i) => {
  const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')])
  offsets.push(offset)
  offset += chunk.length
  parts.push(chunk)
})
const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
  offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
  `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`
parts.push(Buffer.from(xref))
writeFileSync(`${output}.part`, Buffer.concat(parts))
renameSync(`${output}.part`, output)
console.log(`MERGED ${inputs.length} plot(s) into ${resolve(output)}`)
