import t from 'tap'
import { Frame, FramedStream, FramingError } from '../../src/remote/framing.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'

// The frame around values read back from a command: only its own lines count, whatever noise surrounds them.
const other = new Frame('another call')

function read(frame: Frame, lines: string[]) {
  const reader = frame.reader()
  const taken = lines.filter((line) => reader.take(line))
  return { reader, taken }
}

t.test('values come only from between the begin and end lines of this frame', async (t) => {
  const f = new Frame('the check')
  const { reader, taken } = read(f, [
    'You have 2 new mail messages', '0', `${other.tag} V 7`, `${other.tag} BEGIN`,
    `Welcome to beslogin. ${f.tag} BEGIN`,
    'GONE', `${f.tag} V 12 /data/a b.root`, `${other.tag} V 99`, `${other.tag} END 1`, 'module: loaded 3 modules',
    `${f.tag} V `, `${f.tag} END 2`,
    '1', `${f.tag} V 13 late`, 'out_1.root',
  ])
  t.same(reader.values(), ['12 /data/a b.root', ''])
  t.equal(taken.length, 5, 'the frame\'s own lines are taken, the noise and the other frame are not')
})

t.test('a missing or broken frame is a FramingError naming the command', async (t) => {
  const f = new Frame('file check in /data')
  t.throws(() => read(f, ['0', 'GONE', `${other.tag} BEGIN`, `${other.tag} V 1`, `${other.tag} END 1`]).reader.values(),
    { name: 'FramingError', message: /^file check in \/data: .*begin line is missing/ })
  t.throws(() => read(f, [`${f.tag} BEGIN`, `${f.tag} V 1`]).reader.values(), { name: 'FramingError', message: /end line is missing/ })
  t.throws(() => read(f, [`${f.tag} BEGIN`, `${f.tag} V 1`, `${f.tag} END 2`]).reader.values(),
    { name: 'FramingError', message: /1 of 2 values/ })
  t.throws(() => read(f, [`${f.tag} V 1`, `${f.tag} END 1`]).reader.values(), { message: /begin line is missing/ }, 'a value before the begin line is not taken')
  t.throws(() => read(f, [`${f.tag} BEGIN`, `${f.tag} END 0`]).reader.value(), { message: /expected one framed value, got 0/ })
  t.ok(new FramingError('x') instanceof Error)
})

t.test('a tag is never a prefix of another: a line must carry the whole tag and kind', async (t) => {
  const f = new Frame('x')
  t.equal(f.lineOf(`${f.tag}0 V 1`, 'V'), null)
  t.equal(f.lineOf(`${f.tag} VALUE 1`, 'V'), null)
  t.same(f.lineOf(`banner ${f.tag} PGID 12 34`, 'PGID'), { before: 'banner ', rest: '12 34' })
  t.not(f.tag, new Frame('y').tag)
})

t.test('in bash: noise before and after, an early exit, a value with spaces and IFS empty', async (t) => {
  const local = new LocalTransport()
  const f = new Frame('the script')
  const reader = f.reader()
  const noise: string[] = []
  const script = `IFS=\nfor v in 'a b' 5; do frame_put "$v"; done\nexit 3`
  const result = await local.run({
    command: `echo 0; echo "${other.tag} V 9"; printf 'Welcome '; ( sleep 0.2; echo late noise ) &\n${f.wrap(script)}`,
    signal: AbortSignal.timeout(10_000),
    onLine: (stream, line) => { if (stream !== 'stdout' || !reader.take(line)) noise.push(line) },
  })
  t.equal(result.exitCode, 3)
  t.same(reader.values(), ['a b', '5'], 'the end line is printed on any exit')
  t.ok(noise.includes('0') && noise.includes(`${other.tag} V 9`))
})

t.test('a framed stream: content starts after its begin line', async (t) => {
  const f = new Frame('following')
  const stream = new FramedStream(f)
  t.match(stream.beginCommand, f.tag)
  const content = ['You have 2 new mail messages', `${other.tag} BEGIN`, `Welcome ${f.tag} BEGIN`, 'line 1', `${f.tag} BEGIN`]
    .filter((line) => stream.isContent(line))
  t.same(content, ['line 1', `${f.tag} BEGIN`], 'after the begin line everything is content')
  t.ok(stream.opened)
  t.notOk(new FramedStream(f).opened)
})
