import t from 'tap'
import { LocalTransport } from '../src/remote/local/local-transport.js'
import type { Transport } from '../src/remote/transport.js'
import { shellJoin, shellQuote as q } from '../src/shell-quote.js'
import { installDemoSite, type DemoSite } from './helpers/demo-site.js'
import { startSshSite } from './helpers/ssh-site.js'
import { siteProvider } from './remote/site-provider.js'

// The simulated BESIII site (scripts/demo/site) driven by hand, stage by stage, with the plain commands a workflow
// of the daily chain sends (stages.md): on this machine, and on the SSH test site's target through the jump, whose
// login shells print noise on every command.
const sshSite = await startSshSite(t)
const { provider } = siteProvider(t, sshSite)

const DAY = '250624'
const submitted = (first: number, counts: number[]) => counts.map((n, i) => `${n} job(s) submitted to cluster ${first + i}`)
/** genJob.sh of stages 3 to 6: each run, then hep_sub's line. */
const perRun = (runs: string[], first: number) => runs.flatMap((run, i) => [run, ...submitted(first + i, [1])])
const pages = (pdf: Buffer) => Number(/\/Type \/Pages \/Kids \[[^\]]*\] \/Count (\d+) >>/.exec(pdf.toString('latin1'))?.[1])
const sorted = (names: string[]) => [...names].sort()

/** Waits until every name is in the folder. */
const appear = (site: DemoSite, dir: string, names: string[]) => site.until(`files in ${dir}`, async () => {
  const there = new Set(await site.list(dir))
  const missing = names.filter((name) => !there.has(name))
  return missing.length > 0 ? missing.join(' ') : null
})

/** The cluster's jobs still queued ("<id> <state>, ..."), or null. */
const busyJobs = async (site: DemoSite) => {
  const busy = [...await site.cluster.jobs()].filter(([, job]) => job.state !== 'completed').map(([id, job]) => `${id} ${job.state}`)
  return busy.length > 0 ? busy.join(', ') : null
}
const jobsDone = (site: DemoSite) => site.until('the cluster\'s jobs', () => busyJobs(site))

/** The exit codes of the cluster's jobs by id. */
const exitCodes = async (site: DemoSite) => Object.fromEntries([...await site.cluster.jobs()].map(([id, job]) => [id, job.exitCode]))

/** Commands fed to the container on stdin in a folder, as the merge steps do (and `exit`). */
const inContainer = (site: DemoSite, dir: string, commands: string[]) =>
  site.run(`cd -- ${q(dir)} && printf '%s\\n' ${shellJoin([...commands, 'exit'])} | ${q(site.vars.container_shell)} shell SL6`)

function chain(where: string, transport: () => Transport) {
  t.test(`${where}: the daily chain, stages 1 to 7 and the step-8 upload`, async (t) => {
    const site = await installDemoSite(t, { runs: 3, files: 2, rootPauseSeconds: 1 }, transport())
    const v = site.vars
    const base = v.work_area
    const runs = site.runs[DAY]!
    t.equal(runs.length, 3)
    const [r1, r2, r3] = runs as [string, string, string]
    await site.configure({ topup_runs: r2, abnormal_runs: r3 })
    const read = (path: string) => site.read(path)
    const ok = async (dir: string, command: string) => {
      const out = await site.runInEnv(dir, command)
      t.equal(out.exitCode, 0, `${command}: ${out.stderr.join('\n')}`)
      return out
    }

    // stage 1: genJob.sh <day> in InjSigTimeCal, a BOSS job a run; six files a run
    const day = `${v.job_dir}/${DAY}`
    t.same((await ok(v.job_dir, `./genJob.sh ${DAY}`)).stdout, [...submitted(60726901, [1, 1, 1]), 'Total = 6 files', 'DONE'])
    t.same((await site.runInEnv(v.job_dir, `./genJob.sh ${DAY}`)).stdout, [`ERROR: ${DAY} exists`], 'an existing day: refused, no DONE')
    await appear(site, day, runs.flatMap((r) => [`rec${r}_1.txt`, `rec${r}_1.txt.bosserr`, `rec${r}_1.txt.bosslog`,
      `InjSigTime_00${r}_720.root`, `Interval_run${r}.png`, `Interval_run${r}.txt`]))
    await jobsDone(site)
    t.same(Object.values(await exitCodes(site)), [0, 0, 0])
    t.match(await read(`${day}/rec${r1}_1.txt`), `InjSigTime.RunNo = ${r1};`)
    t.match(await read(`${day}/rec${r1}_1.txt.bosslog`), /Finalized successfully\n.*Terminated successfully\n$/)
    await ok(day, 'mv InjSigTime*.root ../calibConst && mv Interval*.png ../Interval_plot')
    const intervals = await Promise.all(runs.map(async (r) => /interval_after_sorting = (\d+)/.exec(await read(`${day}/Interval_run${r}.txt`))![1]!))
    t.same(intervals, ['15000000', '20000000', '15000000'], 'the topup run has another interval')
    await ok(v.job_dir, `printf '%s\\n' ${shellJoin(runs.map((r, i) => `${r} ${intervals[i]}`))} >> interval.txt`)
    t.equal((await inContainer(site, `${v.job_dir}/Interval_plot`, ['convert *.png mergedd_IST.pdf'])).exitCode, 0)
    t.equal(pages(await site.fetch(`${v.job_dir}/Interval_plot/mergedd_IST.pdf`)), 3)

    // stage 2: genJob.sh <day> in DataValid, a job a raw file (boss.condor -n 2), ROOT files written in two pieces
    t.same((await ok(base, `./genJob.sh ${DAY}`)).stdout, [...submitted(60726904, [2, 2, 2]), 'DONE'])
    const histDay = `${base}/${DAY}`
    t.match(await read(`${histDay}/${r2}/rec${r2}_1`), `TopupValid.InjSigInterval = 80;`)
    const seen = new Map<string, Set<number>>()
    await site.until('stage 2 jobs', async () => {
      for (const line of (await site.run(`cd -- ${q(histDay)} && stat -c '%n %s' */hist*_*.root`)).stdout) {
        const [name, size] = line.split(' ')
        seen.set(name!, (seen.get(name!) ?? new Set()).add(Number(size)))
      }
      return busyJobs(site)
    })
    t.equal(seen.size, 6, 'a histogram file a job')
    t.ok([...seen.values()].some((sizes) => sizes.size > 1), 'a histogram file was seen before it was complete')
    const merged = await ok(histDay, './mergeHist.sh')
    t.same(merged.stdout.filter((l) => l.startsWith('hadd Target file')), runs.map((r) => `hadd Target file: hist${r}.root`))
    t.ok(merged.stderr.some((l) => l.includes("ls: cannot access '*/*core*'")), 'no core file')
    t.same(await site.list(`${base}/hist`), sorted(['01go.sh', 'drawcheck.c', 'tmp', ...runs.map((r) => `hist${r}.root`)]))
    t.notOk((await site.list(`${histDay}/${r1}`)).some((name) => name.endsWith('.root')), 'the jobs\' files are gone')
    await ok(`${base}/hist`, './01go.sh')
    await appear(site, `${base}/hist`, runs.map((r) => `check${r}.png`))
    await inContainer(site, `${base}/hist`, ['convert *.png mergedd_Hist.pdf'])
    t.equal(pages(await site.fetch(`${base}/hist/mergedd_Hist.pdf`)), 3)

    // stage 3: search_peak, a shield file a run; only the topup run has 50 Hz windows
    const peak = `${base}/Determining_50Hz_cut/search_peak`
    t.same((await ok(peak, 'rm -f shield* run* && ./genJob.sh')).stdout, [...perRun(runs, 60726907), 'Total = 3 files', 'DONE'])
    t.equal(await read(`${peak}/run_${r1}_3.txt`), `#!/bin/bash\n${peak}/a.out ${base}/hist/ ${r1}\n`)
    await appear(site, peak, runs.map((r) => `shield_run${r}.txt`))
    await jobsDone(site)
    t.equal(await read(`${peak}/shield_run${r1}.txt`), `${r1}\n`, 'a non-topup run: its number only')
    const windows = await read(`${peak}/shield_run${r2}.txt`)
    t.match(windows, new RegExp(`^${r2}  \\d+\\.\\d\\d  \\d+\\.\\d\\d(  \\d+\\.\\d\\d \\d+\\.\\d\\d){3}\\n$`))
    await ok(peak, './add.sh && sed \'/^[0-9]\\+$/d\' window.dat > window.dat.tmp && mv window.dat.tmp window.dat')
    t.equal(await read(`${peak}/window.dat`), windows)

    // stage 4: checkShieldCalib, four plots for the topup run only
    const shield = `${base}/Determining_50Hz_cut/checkShieldCalib`
    t.same((await ok(shield, 'rm -f *.pdf && rm -f run* && ./genJob.sh')).stdout, [...perRun(runs, 60726910), 'DONE'])
    await jobsDone(site)
    const plots = ['cut_detail', 'after_cut', 'before_cut', 'check']
    t.same((await site.list(shield)).filter((name) => name.endsWith('.png')), sorted(plots.map((p) => `run${r2}_${p}.png`)))
    t.equal(await read(`${shield}/run_${r1}_4.txt.out.60726910.0`), 'This is a non-topup run\n')
    t.match(await read(`${shield}/run_${r2}_4.txt.out.60726911.0`), /^remove ratio = \d+\.\d\d%\nremove_num\/TotalEvent = /)
    await inContainer(site, shield, plots.map((p) => `convert *${p}.png ${p}.pdf`))
    for (const p of plots) t.equal(pages(await site.fetch(`${shield}/${p}.pdf`)), 1, p)

    // stage 5: ETS_cut; the abnormal run's plot is stamped and its cut empty
    const ets = `${base}/Determining_ETS_cut/ETS_cut`
    t.same((await ok(ets, 'rm -f plot* run* && ./genJob.sh')).stdout, [...perRun(runs, 60726913), 'Total = 3 files', 'DONE'])
    await appear(site, ets, runs.flatMap((r) => [`run${r}_cut.png`, `run${r}_total.png`]))
    await jobsDone(site)
    t.ok((await site.fetch(`${ets}/run${r3}_cut.png`)).toString('latin1').includes('abnormal: Too many windows'))
    t.notOk((await site.fetch(`${ets}/run${r1}_cut.png`)).toString('latin1').includes('abnormal'))
    t.equal(await read(`${ets}/shield_run${r3}.txt`), `${r3}\n`)
    await ok(ets, ['./add_shield.sh', 'grep -vE \'^[0-9]+$\' ets_cut.txt > ets_cut_temp.txt && mv ets_cut_temp.txt ets_cut.txt',
      'sort -n -k1,1 ets_cut.txt > ets_cut_temp.txt && mv ets_cut_temp.txt ets_cut.txt',
      'uniq ets_cut.txt > ets_cut_temp.txt && mv ets_cut_temp.txt ets_cut.txt'].join(' && '))
    const cuts = (await read(`${ets}/ets_cut.txt`)).split('\n').filter(Boolean)
    t.same(cuts.map((line) => line.split(' ')[0]), [r1, r2])
    t.match(cuts, [/^\d{5}( \d+\.\d){4}$/, /^\d{5}( \d+\.\d){4}$/])
    await inContainer(site, ets, ['convert ./run*.png mergedd_ETS_raw.pdf'])
    t.equal(pages(await site.fetch(`${ets}/mergedd_ETS_raw.pdf`)), 6, 'two pages a run')

    // stage 6: check_ETScut_CalibConst
    const check = `${base}/Determining_ETS_cut/check_ETScut_CalibConst`
    t.same((await ok(check, 'rm -f ETScut* *png *root && ./genJob.sh')).stdout, [...perRun(runs, 60726916), 'DONE'])
    await appear(site, check, runs.flatMap((r) => [`run${r}.png`, `run${r}.root`]))
    await jobsDone(site)
    t.match(await read(`${check}/ETScut_check_${r3}.txt.out.60726918.0`), 'no ETS cut')
    await inContainer(site, check, ['convert ./run*.png mergedd_ETS_checkall.pdf'])
    t.equal(pages(await site.fetch(`${check}/mergedd_ETS_checkall.pdf`)), 3)
    t.same(Object.values(await exitCodes(site)).filter((code) => code !== 0), [], 'every job exited 0')

    // step 7: reset.sh empties the shared folders into tmp/ and archives the cumulative files under today's date
    const today = (await site.run('date +%y%m%d')).stdout[0]!
    const reset = await site.run(`cd -- ${q(v.job_dir)} && ./reset.sh`)
    t.equal(reset.exitCode, 0)
    t.same(reset.stdout, ['done'])
    t.ok(reset.stderr.some((l) => l.startsWith('mv: cannot stat')), 'the usual noise of reset.sh')
    t.equal(await read(`${v.job_dir}/InjSigIntervalCal/${today}`), await read(`${v.job_dir}/interval.txt`))
    t.same(await site.list(`${v.job_dir}/Interval_plot`), ['mergedd_IST.pdf', 'tmp'])
    t.same(await site.list(`${base}/hist`), sorted(['01go.sh', 'drawcheck.c', 'mergedd_Hist.pdf', 'tmp']))
    t.same(await site.list(peak), sorted(['a.out', 'add.sh', 'genJob.sh', 'raw_shield', 'time_final', 'tmp', 'window.dat']))
    t.same(await site.list(`${peak}/raw_shield`), runs.map((r) => `shield_run${r}.txt`))
    t.equal(await read(`${peak}/time_final/${today}`), windows)
    t.same(await site.list(shield), sorted(['a.out', 'genJob.sh', 'tmp']))
    t.same(await site.list(ets), sorted(['a.out', 'add_shield.sh', 'ets_cut.txt', 'genJob.sh', 'mergedd_ETS_raw.pdf', 'tmp']))
    t.equal(await read(`${base}/Determining_ETS_cut/ETScutCalibConst/${today}`), `${cuts.join('\n')}\n`)
    t.same(await site.list(check), sorted(['a.out', 'genJob.sh', 'mergedd_ETS_checkall.pdf', 'tmp']))

    // step 8: the run range of interval.txt, each part's dry run, then the insert
    const interval = (await read(`${v.job_dir}/interval.txt`)).trim().split('\n')
    const [from, to] = [interval[0]!.split(' ')[0]!, interval.at(-1)!.split(' ')[0]!]
    t.same([from, to], [r1, r3])
    const range = `-runfrom ${from} -runto ${to}`
    const insert = (table: string, dir: string, first: string, last: string, file: string) =>
      `insertdb -table ${table} -boss 7.2.0 -round round18 -runfrom ${first} -runto ${last} -file ${dir}/${file}`
    const genConst = `${base}/sub_database/InjSigInterval/genConst`
    for (const [dir, command] of [[v.job_dir, 'bash clean_interval.sh'], [genConst, 'g++ -Wall genConst.cpp'],
      [genConst, `./a.out ${from}`], [genConst, 'chmod +x copy.sh && ./copy.sh'], [`${genConst}/const_runForm_runTo`, './rootmove.sh']]) {
      await ok(dir!, command!)
    }
    const part1 = [insert('InjSigInterval', v.afs_injsiginterval, from, to, `InjSigInterval_${from}_${to}.root`)]
    t.same((await ok(v.afs_injsiginterval, `bash genInsertCmd.sh ${range} -sub_switch 0`)).stdout, part1, 'the dry run prints the inserts')
    t.same(await site.database(), [], 'and inserts nothing')
    t.same((await ok(v.afs_injsiginterval, `bash genInsertCmd.sh ${range} -sub_switch 1`)).stdout, part1.map((c) => `inserted: ${c}`))
    const again = await site.runInEnv(v.afs_injsiginterval, `bash genInsertCmd.sh ${range} -sub_switch 1`)
    t.match(again, { exitCode: 1, stderr: [/is in the database already: nothing inserted$/] })

    await ok(`${v.job_dir}/calibConst`, './rootmove.sh')
    const part2 = runs.map((r) => insert('InjSigTime', v.afs_injsigtime, r, r, `InjSigTime_00${r}_720.root`))
    t.same((await ok(v.afs_injsigtime, `bash genInsertCmd.sh ${range} -sub_switch 0`)).stdout, part2)
    t.same((await ok(v.afs_injsigtime, `bash genInsertCmd.sh ${range} -sub_switch 1`)).stdout, part2.map((c) => `inserted: ${c}`))

    const oef = `${base}/sub_database/OfflineEvtFilter`
    await ok(oef, './cp_3files.sh')
    t.same((await ok(`${oef}/duration_caculate`, './a.out')).stdout, ['duration of 2 runs written to duration.txt'])
    t.same((await ok(`${oef}/ccompare`, './a.out 2>&1')).stdout, [], 'ccompare: nothing to say')
    await ok(oef, `./a.out 720 ${from} ${to}`)
    await ok(`${oef}/check`, 'ls ../OfflineEvtFilter_00*.root > file.txt 2>/dev/null')
    t.same((await ok(`${oef}/check`, `./a.out 720 ${from} ${to} 2>&1`)).stdout, [], 'check: nothing to say')
    await site.failStep8('ccompare', `error:  repeat run ${r2}`)
    t.match((await ok(`${oef}/ccompare`, './a.out 2>&1')).stdout, [/error:\s+(repeat|order|miss)/i], 'told to fail, ccompare says so')
    await site.failStep8('check', '')
    t.equal((await ok(`${oef}/check`, `./a.out 720 ${from} ${to} 2>&1`)).stdout.length, 1, 'and so does check')
    await site.failStep8('ccompare', null)
    await site.failStep8('check', null)
    await ok(oef, './rootmove.sh')
    const part3 = runs.map((r) => insert('OfflineEvtFilter', v.afs_offlineevtfilter, r, r, `OfflineEvtFilter_00${r}_720.root`))
    t.same((await ok(v.afs_offlineevtfilter, `bash genInsertCmd.sh ${range} -sub_switch 0`)).stdout, part3)
    await ok(v.afs_offlineevtfilter, `bash genInsertCmd.sh ${range} -sub_switch 1`)
    t.same((await ok(v.checkdb_share, 'bash reset_root.sh')).stdout, ['reset_root.sh: done'])

    const rel = (path: string) => path.slice(site.root.length + 1)
    t.same(await site.database(), [
      ['InjSigInterval', '7.2.0', 'round18', from, to, rel(`${v.afs_injsiginterval}/InjSigInterval_${from}_${to}.root`)],
      ...runs.map((r) => ['InjSigTime', '7.2.0', 'round18', r, r, rel(`${v.afs_injsigtime}/InjSigTime_00${r}_720.root`)]),
      ...runs.map((r) => ['OfflineEvtFilter', '7.2.0', 'round18', r, r, rel(`${v.afs_offlineevtfilter}/OfflineEvtFilter_00${r}_720.root`)]),
    ])
    const switches = (n: string) => ['-runfrom', from, '-runto', to, '-sub_switch', n]
    const at = (dir: string, program: string, args: string[] = []) => ({ program: rel(`${dir}/${program}`), cwd: rel(dir), args })
    const checkArgs = ['720', from, to]
    t.same(await site.calls(), [
      at(v.job_dir, 'clean_interval.sh'),
      { program: 'site/bin/g++', cwd: rel(genConst), args: ['-Wall', 'genConst.cpp'] },
      at(genConst, 'a.out', [from]), at(`${genConst}/const_runForm_runTo`, 'rootmove.sh'),
      ...['0', '1', '1'].map((n) => at(v.afs_injsiginterval, 'genInsertCmd.sh', switches(n))),
      at(`${v.job_dir}/calibConst`, 'rootmove.sh'),
      ...['0', '1'].map((n) => at(v.afs_injsigtime, 'genInsertCmd.sh', switches(n))),
      at(oef, 'cp_3files.sh'), at(`${oef}/duration_caculate`, 'a.out'), at(`${oef}/ccompare`, 'a.out'),
      at(oef, 'a.out', checkArgs), at(`${oef}/check`, 'a.out', checkArgs), at(`${oef}/ccompare`, 'a.out'),
      at(`${oef}/check`, 'a.out', checkArgs), at(oef, 'rootmove.sh'),
      ...['0', '1'].map((n) => at(v.afs_offlineevtfilter, 'genInsertCmd.sh', switches(n))),
      at(v.checkdb_share, 'reset_root.sh'),
    ], 'every call of a step-8 program, its folder and arguments')
  })
}

chain('on this machine', () => new LocalTransport())
chain('on the SSH test site\'s target, through the jump', () => provider.transportFor('target'))

t.test('what the site can be told to get wrong, what it refuses, and installing it again', async (t) => {
  const site = await installDemoSite(t, { days: ['250623', '250624'], runs: 2, files: 1 })
  const v = site.vars
  const [a1, a2] = site.runs['250623'] as [string, string]
  const [b1, b2] = site.runs['250624'] as [string, string]
  t.ok(Number(a2) < Number(b1), 'a later day has later runs')
  await site.configure({ fail_jobs: `1:${b1},2:${a1}`, abnormal_days: '250624' })

  t.match(await site.runInEnv(v.job_dir, './genJob.sh'), { exitCode: 1, stderr: ['usage: ./genJob.sh <date, YYMMDD>'] })
  t.match(await site.runInEnv(v.job_dir, './genJob.sh 250101'), {
    exitCode: 0, stdout: ['Total = 0 files', 'DONE'], stderr: [/^ls: cannot access '.*\/250101\/\*\.raw'/],
  }, 'a day without raw data: nothing submitted, yet DONE, as on the site')
  t.match(await site.run(`cd -- ${q(v.job_dir)} && ./genJob.sh 250624`), {
    stdout: ['Total = 2 files', 'DONE'], stderr: [/boss\.condor: command not found/, /boss\.condor: command not found/],
  }, 'without w720 nothing is submitted, yet DONE')

  const day = `${v.job_dir}/250624`
  await site.run(`rm -rf -- ${q(day)}`)
  t.same((await site.runInEnv(v.job_dir, './genJob.sh 250624')).stdout, [...submitted(60726901, [1, 1]), 'Total = 2 files', 'DONE'])
  await appear(site, day, ['Interval_run0.png', `Interval_run${b2}.png`])
  await jobsDone(site)
  t.same(await exitCodes(site), { '60726901.0': 1, '60726902.0': 0 }, 'the failing job exits 1')
  t.notOk(await site.exists(`${day}/InjSigTime_00${b1}_720.root`), 'and writes no file')
  t.notMatch(await site.read(`${day}/rec${b1}_1.txt.bosslog`), 'Finalized successfully')
  t.match(await site.read(`${day}/rec${b1}_1.txt.bosserr`), /FATAL: stage 1 job of run \d+ failed/)

  t.same((await site.runInEnv(v.work_area, './genJob.sh 250623')).stdout, [`ERROR: run ${a1} is not in ${v.job_dir}/interval.txt`])
  t.notOk(await site.exists(`${v.work_area}/250623`), 'refused before making anything')
  await site.run(`printf '%s\\n' ${q(`${a1} 15000000`)} ${q(`${a2} 15000000`)} >> ${q(`${v.job_dir}/interval.txt`)}`)
  t.same((await site.runInEnv(v.work_area, './genJob.sh 250623')).stdout, [...submitted(60726903, [1, 1]), 'DONE'])
  await jobsDone(site)
  t.match(await exitCodes(site), { '60726903.0': 1, '60726904.0': 0 })
  t.same((await site.list(`${v.work_area}/250623/${a1}`)).filter((n) => n.endsWith('.root')), [], 'the failed job wrote no histograms')
  const merged = await site.runInEnv(`${v.work_area}/250623`, './mergeHist.sh')
  t.equal(merged.exitCode, 0, 'mergeHist.sh ends with mv: a failed hadd does not show in its exit status')
  t.ok(merged.stderr.includes(`Error in <TFile::TFile>: file ${a1}/*root does not exist`))

  const noPlots = await inContainer(site, v.work_area, ['convert *.png nothing.pdf'])
  t.equal(noPlots.exitCode, 0, 'the container exits 0 whatever its commands did')
  t.match(noPlots.stderr, [/unable to open image '\*\.png'/, /no images defined 'nothing\.pdf'/])
  t.notOk(await site.exists(`${v.work_area}/nothing.pdf`))

  await site.installAgain({ days: ['250623', '250624', '250625'], runs: 2 })
  t.same(await site.list(`${v.data_root}/round18`), ['250623', '250624', '250625'], 'a new day of raw data')
  t.equal(await site.read(`${v.job_dir}/interval.txt`), `${a1} 15000000\n${a2} 15000000\n`, 'what the chain wrote stays')
  t.match(await site.read('site/site.conf'), /^fail_jobs=$/m, 'and the settings are the new install\'s')
})
