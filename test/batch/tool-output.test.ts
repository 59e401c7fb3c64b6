import t from 'tap'
import { toolCommand, toolOutput } from '../../src/batch/tool-output.js'

// The frame's values of a tool run: stderr lines, stdout lines, then the exit code, and nothing else.
const { frame } = toolCommand('condor_q of 1 jobs', '/usr/bin/condor_q', ['1.0'], ['1.0'])

t.test('stdout, stderr and the exit code come apart', async (t) => {
  t.same(toolOutput(frame, ['E warning: x', 'O 1 0 2 undefined', 'O ', 'O last\r', 'X 3']),
    { stdout: ['1 0 2 undefined', '', 'last'], stderr: ['warning: x'], exitCode: 3 })
})

t.test('a value that is none of the tool run\'s is a FramingError', async (t) => {
  t.throws(() => toolOutput(frame, ['O 1 0 2']), { name: 'FramingError', message: /^condor_q of 1 jobs: .*no exit code/ })
  t.throws(() => toolOutput(frame, ['1 0 2', 'X 0']), { name: 'FramingError' })
  t.throws(() => toolOutput(frame, ['X 0', 'O 1 0 2']), { name: 'FramingError' }, 'nothing after the exit code')
  t.throws(() => toolOutput(frame, ['X zero']), { name: 'FramingError' })
})
