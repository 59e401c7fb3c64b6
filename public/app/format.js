import { language, t } from './i18n.js'

const units = [['year', 31_536_000], ['month', 2_592_000], ['day', 86_400], ['hour', 3600], ['minute', 60], ['second', 1]]

/** "3 minutes ago", "in 2 hours" (in the page's language). */
export function relativeTime(iso) {
  if (!iso) return ''
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000
  const format = new Intl.RelativeTimeFormat(language(), { numeric: 'auto' })
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'second') return format.format(Math.round(seconds / size), unit)
  }
  return ''
}

export function dateTime(iso) {
  return iso ? new Date(iso).toLocaleString(language() === 'zh' ? 'zh-CN' : 'en-GB') : ''
}

/** 14:03:27, in the browser's time zone like every other time of the page. */
export const clockTime = (iso) => new Date(iso).toLocaleTimeString('en-GB')

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return ''
  if (seconds < 60) return t('duration.seconds', { n: seconds.toFixed(1) })
  const minutes = Math.floor(seconds / 60)
  return minutes < 60 ? t('duration.minutes', { m: minutes, s: Math.round(seconds % 60) })
    : t('duration.hours', { h: Math.floor(minutes / 60), m: minutes % 60 })
}

export function bytes(n) {
  if (n === null || n === undefined) return ''
  if (n < 1024) return `${n} B`
  return n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`
}
