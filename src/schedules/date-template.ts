/**
 * The templates of a schedule's parameters: `{{ schedule.date | minus_days(1) | yymmdd }}` is the day before the
 * firing, in the schedule's time zone, as YYMMDD. Days are counted on the calendar of that zone (a firing at
 * 00:30 in Shanghai is still the previous day in UTC), then written by the last filter (ISO YYYY-MM-DD without one).
 */

const PLACEHOLDER = /\{\{(.*?)\}\}/g
const FILTER = /^(minus_days|plus_days)\((\d{1,4})\)$|^(yymmdd|yyyymmdd|iso_date)$/

export class DateTemplateError extends Error {}

interface CivilDate { year: number; month: number; day: number }

/** The calendar day of `instant` in `timeZone`. */
function civilDate(instant: Date, timeZone: string): CivilDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant)
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value)
  return { year: part('year'), month: part('month'), day: part('day') }
}

function addDays(date: CivilDate, days: number): CivilDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days))
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() }
}

const pad = (n: number) => String(n).padStart(2, '0')
const formats = {
  yymmdd: (d: CivilDate) => `${pad(d.year % 100)}${pad(d.month)}${pad(d.day)}`,
  yyyymmdd: (d: CivilDate) => `${d.year}${pad(d.month)}${pad(d.day)}`,
  iso_date: (d: CivilDate) => `${d.year}-${pad(d.month)}-${pad(d.day)}`,
}

/** One placeholder's value, e.g. " schedule.date | minus_days(1) | yymmdd ". */
function evaluate(expression: string, fireTime: Date, timeZone: string): string {
  const [subject, ...filters] = expression.split('|').map((part) => part.trim())
  if (subject !== 'schedule.date') {
    throw new DateTemplateError(`{{${expression}}}: only schedule.date is known here`)
  }
  let date = civilDate(fireTime, timeZone)
  let format: keyof typeof formats = 'iso_date'
  for (const [index, filter] of filters.entries()) {
    const match = FILTER.exec(filter!)
    if (!match) {
      throw new DateTemplateError(`{{${expression}}}: unknown filter "${filter}" (minus_days(n), plus_days(n), yymmdd, yyyymmdd, iso_date)`)
    }
    if (match[3]) {
      if (index !== filters.length - 1) throw new DateTemplateError(`{{${expression}}}: ${match[3]} must be the last filter`)
      format = match[3] as keyof typeof formats
    } else {
      date = addDays(date, (match[1] === 'minus_days' ? -1 : 1) * Number(match[2]))
    }
  }
  return formats[format](date)
}

/** A parameter value with its placeholders filled in for a firing at `fireTime`; non-strings are kept as they are. */
export function renderScheduleValue(value: unknown, fireTime: Date, timeZone: string): unknown {
  if (typeof value !== 'string') return value
  return value.replace(PLACEHOLDER, (_, expression: string) => evaluate(expression, fireTime, timeZone))
}

export function renderScheduleParameters(
  parameters: Readonly<Record<string, unknown>>, fireTime: Date, timeZone: string,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(parameters).map(([name, value]) => [name, renderScheduleValue(value, fireTime, timeZone)]))
}
