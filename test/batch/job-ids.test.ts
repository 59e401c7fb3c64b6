import t from 'tap'
import { splitIds } from '../../src/batch/job-ids.js'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import { batchSystems } from '../../src/batch/types.js'

// Ids become command words only after their system's pattern accepted them; many ids share one command.
const adapters = batchSystems.map((system) => batchAdapter(system, { tools: toolsIn(system, '/opt/bin'), user: 'topup' }))

t.test('a bad id is an error, never shell text', async (t) => {
  for (const adapter of adapters) {
    for (const bad of ['', '1;rm -rf ~', '$(id)', '1 2', '12\n', '-1', '1.0.0', `'1'`]) {
      t.throws(() => adapter.queueCommands([bad]), { name: 'InvalidJobIdError' }, `${adapter.system} ${JSON.stringify(bad)}`)
      t.throws(() => adapter.controlCommands('cancel', ['1', bad]), { name: 'InvalidJobIdError' })
    }
  }
  const [, htcondor, slurm] = adapters
  t.throws(() => htcondor!.historyCommands(['123']), { name: 'InvalidJobIdError' }, 'HTCondor ids are cluster.proc')
  t.throws(() => slurm!.historyCommands(['123.0']), { name: 'InvalidJobIdError' })
  t.same(slurm!.checkIds(['5', '6_2', '5']), ['5', '6_2'], 'array tasks; a repeated id is asked once')
})

t.test('tool paths are absolute', async (t) => {
  t.throws(() => batchAdapter('slurm', { tools: { ...toolsIn('slurm', '/usr/bin'), queue: 'squeue' } }), /absolute path/)
  t.same(toolsIn('hepjob', '/cvmfs/common.ihep.ac.cn/software/hepjob/bin/').queue, '/cvmfs/common.ihep.ac.cn/software/hepjob/bin/hep_q')
})

t.test('tool paths are quoted', async (t) => {
  const slurm = batchAdapter('slurm', { tools: toolsIn('slurm', "/opt/my tools/o'neil") })
  t.match(slurm.queueCommands(['1'])[0]!.command, /^set -- '\/opt\/my tools\/o'\\''neil\/squeue' -h/)
})

t.test('ids are split only where the command would pass the limit', async (t) => {
  const ids = Array.from({ length: 10 }, (_, i) => String(1000 + i))
  t.same(splitIds(ids), [ids], 'one group when they fit')
  t.same(splitIds(ids, { maxIds: 4, maxBytes: 100_000 }).map((g) => g.length), [4, 4, 2])
  t.same(splitIds(ids, { maxIds: 100, maxBytes: 14 }).map((g) => g.length), [3, 3, 3, 1], '4 bytes an id, 1 between')
  t.same(splitIds(['123456789'], { maxIds: 100, maxBytes: 3 }), [['123456789']], 'an id longer than the limit goes alone')
  t.same(splitIds([]), [])
  const many = Array.from({ length: 12_000 }, (_, i) => `${60726917 + i}.0`)
  const [, htcondor, slurm] = adapters
  const commands = htcondor!.queueCommands(many)
  t.ok(commands.length > 1 && commands.length <= 3, `${commands.length} condor_q commands for 12,000 ids`)
  t.same(commands.flatMap((c) => c.ids), many, 'every id once, in order')
  t.ok(commands.every((c) => c.command.length < 150_000))
  t.equal(slurm!.historyCommands(many.map((id) => id.replace('.0', ''))).length, 3, 'the Slurm list split by the same limit')
})
