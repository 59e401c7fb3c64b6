import type { NotifyTrigger } from '../domain.js'
import type { Language } from './channel-file.js'
import type { NotifyFact } from './fact.js'

/** Every word of a notification, in each language a user may choose. */
const catalogue = {
  zh: {
    title: { review: '任务等待审核', failed: '任务失败', succeeded: '任务完成', job_held: '集群作业被挂起' } satisfies Record<NotifyTrigger, string>,
    task: '任务', workflow: '流程', user: '用户', date: '日期', step: '步骤', reason: '原因', duration: '用时',
    job: '作业', open: '打开任务', pdf: '查看 PDF', units: ['小时', '分', '秒'],
  },
  en: {
    title: { review: 'Task waiting for review', failed: 'Task failed', succeeded: 'Task succeeded', job_held: 'Cluster job held' } satisfies Record<NotifyTrigger, string>,
    task: 'Task', workflow: 'Workflow', user: 'User', date: 'Date', step: 'Step', reason: 'Reason', duration: 'Duration',
    job: 'Job', open: 'Open the task', pdf: 'Open the PDF', units: ['h', 'min', 's'],
  },
} as const

export function formatDuration(seconds: number, language: Language): string {
  const units = catalogue[language].units
  const s = Math.max(0, Math.round(seconds))
  const parts = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60]
  const shown = parts.map((n, i) => ({ n, unit: units[i]! })).filter((p, i) => p.n > 0 || (i === 2 && s < 60))
  return shown.map((p) => `${p.n} ${p.unit}`).join(' ')
}

/** A message as lines: the title, then label/value pairs (empty values left out), then the links. */
export interface Message {
  title: string
  fields: { label: string; value: string }[]
  links: { label: string; url: string }[]
}

export function describe(fact: NotifyFact, language: Language): Message {
  const words = catalogue[language]
  const fields = [
    { label: words.task, value: `#${fact.task.id} ${fact.task.name}` },
    { label: words.workflow, value: fact.task.workflow },
    { label: words.user, value: fact.task.user_id },
    { label: words.date, value: fact.task.date_param ?? '' },
    { label: words.step, value: fact.step ?? '' },
    { label: words.job, value: fact.job ? `${fact.job.id} (${fact.job.system}, ${fact.job.host})` : '' },
    { label: words.duration, value: fact.duration_seconds === null ? '' : formatDuration(fact.duration_seconds, language) },
    // last: a long reason is what a size limit cuts
    { label: words.reason, value: fact.reason ?? fact.job?.reason ?? '' },
  ].filter((f) => f.value !== '')
  const links = [{ label: words.open, url: fact.links.task }, ...fact.links.pdf ? [{ label: words.pdf, url: fact.links.pdf }] : []]
  return { title: words.title[fact.trigger], fields, links }
}

/** Plain text (the webhook's `text`): title, links, fields. */
export function plainText(message: Message): string {
  return [message.title, ...message.fields.map((f) => `${f.label}: ${f.value}`), ...message.links.map((l) => `${l.label}: ${l.url}`)].join('\n')
}
