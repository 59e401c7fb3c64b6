import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createLogger } from '../src/logger.js'
import { smallDisk } from './helpers/small-disk.js'

t.test('a log file on a full disk drops lines instead of failing whoever logs; it says how many once it can write', async (t) => {
  const disk = smallDisk(t, 1)
  const file = join(disk.dir, 'topup.log')
  const stdout: string[] = []
  const { logger, close } = createLogger({ LOG_LEVEL: 'info', LOG_FILE: file, LOG_MAX_BYTES: 0 }, { write: (l) => stdout.push(l) })
  t.teardown(close)
  logger.info('before')
  disk.fill()
  // enough lines to need pages the disk does not have
  t.doesNotThrow(() => { for (let i = 0; i < 200; i++) logger.info({ i }, 'while the disk is full') }, 'logging never throws')
  t.equal(stdout.length, 201, 'every line still goes to stdout')
  disk.free()
  logger.info('after')
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string })
  t.equal(lines[0]?.msg, 'before')
  const note = lines.at(-2)?.msg ?? ''
  const dropped = Number(/^(\d+) log line\(s\) could not be written to this file \(they went to stdout only\)$/.exec(note)?.[1])
  t.ok(dropped > 0 && dropped <= 200, `the note says how many were dropped: ${note}`)
  t.equal(lines.length, 1 + (200 - dropped) + 2, 'the lines written, the note, the line after')
  t.equal(lines.at(-1)?.msg, 'after')
})
