import type { BatchAdapter, BatchTools } from './adapter.js'
import { hepjobAdapter } from './hepjob.js'
import { htcondorAdapter } from './htcondor.js'
import { slurmAdapter } from './slurm.js'
import type { BatchSystem } from './types.js'
import { condorIdPattern, parseCondorSubmission } from './condor-output.js'
import { parseSbatch, slurmIdPattern } from './slurm.js'
import { condorTagged, slurmTagged } from './tagged.js'

export interface BatchSite {
  /** Absolute paths; see toolsIn for the usual names in one folder. */
  tools: BatchTools
  /** The account whose jobs hep_q lists (hepjob only). */
  user?: string
}

export function batchAdapter(system: BatchSystem, site: BatchSite): BatchAdapter {
  switch (system) {
    case 'hepjob': {
      if (site.user === undefined) throw new Error('hepjob needs the user whose jobs hep_q lists')
      return hepjobAdapter(site.tools, site.user)
    }
    case 'htcondor': return { ...htcondorAdapter(site.tools), tagged: condorTagged(site.tools) }
    case 'slurm': return { ...slurmAdapter(site.tools), tagged: slurmTagged(site.tools) }
  }
}

const toolNames: Record<BatchSystem, BatchTools> = {
  hepjob: {
    submit: 'hep_sub', queue: 'hep_q', history: 'condor_history', cancel: 'hep_rm', hold: 'condor_hold',
    release: 'condor_release',
  },
  htcondor: {
    submit: 'condor_submit', queue: 'condor_q', history: 'condor_history', cancel: 'condor_rm', hold: 'condor_hold',
    release: 'condor_release',
  },
  slurm: { submit: 'sbatch', queue: 'squeue', history: 'sacct', cancel: 'scancel', hold: 'scontrol', release: 'scontrol' },
}

/** The system's tools under their usual names in one folder, e.g. /cvmfs/common.ihep.ac.cn/software/hepjob/bin. */
export function toolsIn(system: BatchSystem, folder: string): BatchTools {
  const base = folder.replace(/\/+$/, '')
  const names = Object.entries(toolNames[system]).map(([role, name]) => [role, `${base}/${name}`])
  return Object.fromEntries(names) as unknown as BatchTools
}

const submissions: Record<BatchSystem, { parse: (lines: readonly string[]) => string[]; id: RegExp }> = {
  hepjob: { parse: parseCondorSubmission, id: condorIdPattern },
  htcondor: { parse: parseCondorSubmission, id: condorIdPattern },
  slurm: { parse: parseSbatch, id: slurmIdPattern },
}

/** The job ids one line of a submission's output names (`2 job(s) submitted to cluster 7.` → 7.0, 7.1). */
export function submittedIds(system: BatchSystem, line: string): string[] {
  return submissions[system].parse([line])
}

export function isJobId(system: BatchSystem, id: string): boolean {
  return submissions[system].id.test(id)
}
