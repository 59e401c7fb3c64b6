/**
 * Every sentence the command line writes, in English and Chinese. The language follows the locale as the C
 * library reads it: LC_ALL, then LC_MESSAGES, then LANG; a `zh…` locale gives Chinese, anything else English.
 */
const en = {
  'status.pending': 'pending', 'status.queued': 'queued', 'status.running': 'running', 'status.pausing': 'pausing',
  'status.paused': 'paused', 'status.cancelling': 'cancelling', 'status.cancelled': 'cancelled',
  'status.success': 'success', 'status.failed': 'failed', 'status.timeout': 'timed out', 'status.skipped': 'skipped',
  'status.interrupted': 'interrupted',
  'error.line': 'error: {message}',
  'error.unreachable': 'cannot reach {url}: {reason}',
  'error.notSignedIn': 'not signed in: run `topup login --url <address> --token <token>` (or set TOPUP_TOKEN)',
  'error.checksum': '{name}: the downloaded file\'s SHA-256 does not match the server\'s ({got} ≠ {want})',
  'error.noRound': 'no default round: workflow {workflow} has no `round` default; give --round',
  'login.saved': 'signed in to {url} as {user}{role}{expiry}; saved in {file}',
  'login.expires': ', valid until {when}',
  'login.envWins': 'note: {name} is set in the environment and overrides the saved {what}',
  'run.created': 'task {id} created: {name} ({status})',
  'lifecycle.done': 'task {id}: {status}{reason}',
  'follow.reconnecting': '({reason}; reconnecting)',
  'follow.review': 'task {id} is waiting for review{note}; after your look: topup resume {id}',
  'follow.paused': 'task {id} is paused: {reason}; then topup resume {id} (or topup cancel {id})',
  'follow.success': 'task {id} succeeded',
  'follow.failed': 'task {id} failed{reason}',
  'follow.cancelled': 'task {id} was cancelled{reason}',
  'follow.panelTask': 'task {id} {status} {percent}%',
  'follow.earlier': '… {n} earlier steps',
  'follow.later': '… {n} later steps',
  'follow.jobs': '{done}/{total} jobs',
  'follow.attempt': 'attempt {n}',
  'tasks.empty': 'no task matches',
  'tasks.count': '{shown} of {total} tasks',
  'artifacts.empty': 'task {id} has no files',
  'artifacts.saved': 'saved {file} ({size})',
  'days.head': '{round} on {host}: {total} days, {processed} processed; next: {next}{cached}',
  'days.cached': ' (listing from {when})',
  'days.none': 'none',
  'days.unknown': '?',
  'col.id': 'ID', 'col.status': 'STATUS', 'col.workflow': 'WORKFLOW', 'col.name': 'NAME', 'col.progress': 'PROGRESS',
  'col.updated': 'UPDATED', 'col.reason': 'REASON', 'col.size': 'SIZE', 'col.type': 'TYPE', 'col.step': 'STEP',
  'col.day': 'DAY', 'col.processed': 'PROCESSED', 'col.task': 'TASK', 'col.next': 'NEXT',
  'yes': 'yes', 'no': 'no',
}

type Key = keyof typeof en

const zh: Record<Key, string> = {
  'status.pending': '待启动', 'status.queued': '排队中', 'status.running': '运行中', 'status.pausing': '暂停中',
  'status.paused': '已暂停', 'status.cancelling': '取消中', 'status.cancelled': '已取消',
  'status.success': '成功', 'status.failed': '失败', 'status.timeout': '超时', 'status.skipped': '已跳过',
  'status.interrupted': '已中断',
  'error.line': '错误：{message}',
  'error.unreachable': '无法连接 {url}：{reason}',
  'error.notSignedIn': '尚未登录：请运行 `topup login --url <地址> --token <令牌>`（或设置 TOPUP_TOKEN）',
  'error.checksum': '{name}：下载文件的 SHA-256 与服务器记录不符（{got} ≠ {want}）',
  'error.noRound': '没有默认轮次：工作流 {workflow} 的 `round` 没有默认值，请用 --round 指定',
  'login.saved': '已以 {user}{role} 登录 {url}{expiry}；保存在 {file}',
  'login.expires': '，有效期至 {when}',
  'login.envWins': '注意：环境变量 {name} 已设置，会覆盖保存的{what}',
  'run.created': '已创建任务 {id}：{name}（{status}）',
  'lifecycle.done': '任务 {id}：{status}{reason}',
  'follow.reconnecting': '（{reason}；正在重新连接）',
  'follow.review': '任务 {id} 等待审核{note}；检查无误后运行 topup resume {id}',
  'follow.paused': '任务 {id} 已暂停：{reason}；处理后运行 topup resume {id}（或 topup cancel {id}）',
  'follow.success': '任务 {id} 成功完成',
  'follow.failed': '任务 {id} 失败{reason}',
  'follow.cancelled': '任务 {id} 已取消{reason}',
  'follow.panelTask': '任务 {id} {status} {percent}%',
  'follow.earlier': '… 之前 {n} 个步骤',
  'follow.later': '… 之后 {n} 个步骤',
  'follow.jobs': '作业 {done}/{total}',
  'follow.attempt': '第 {n} 次尝试',
  'tasks.empty': '没有符合条件的任务',
  'tasks.count': '显示 {shown} 个，共 {total} 个任务',
  'artifacts.empty': '任务 {id} 没有文件',
  'artifacts.saved': '已保存 {file}（{size}）',
  'days.head': '{round}（{host}）：共 {total} 天，已处理 {processed} 天；下一天：{next}{cached}',
  'days.cached': '（{when} 的列表）',
  'days.none': '无',
  'days.unknown': '?',
  'col.id': '编号', 'col.status': '状态', 'col.workflow': '工作流', 'col.name': '名称', 'col.progress': '进度',
  'col.updated': '更新时间', 'col.reason': '原因', 'col.size': '大小', 'col.type': '类型', 'col.step': '步骤',
  'col.day': '日期', 'col.processed': '已处理', 'col.task': '任务', 'col.next': '下一天',
  'yes': '是', 'no': '否',
}

export type Language = 'en' | 'zh'
export type Translate = (key: Key, params?: Record<string, string | number>) => string

export function languageOf(env: NodeJS.ProcessEnv): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || ''
  return locale.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

export function translator(language: Language): Translate {
  const catalogue = language === 'zh' ? zh : en
  return (key, params = {}) => catalogue[key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''))
}

/** A status word (task or step) in the language, the API's own word when it has none. */
export function statusWord(t: Translate, status: string): string {
  const key = `status.${status}`
  return key in en ? t(key as Key) : status
}
