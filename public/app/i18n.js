import en from './i18n/en.js'
import zh from './i18n/zh.js'

/** One catalogue per language; every string of the page comes from here. */
export const catalogues = { en, zh }
const KEY = 'topup.lang'

function browserLanguage() {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = String(tag).toLowerCase().split('-')[0]
    if (base in catalogues) return base
  }
  return 'en'
}

let lang = localStorage.getItem(KEY) in catalogues ? localStorage.getItem(KEY) : browserLanguage()
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'

export const language = () => lang

/** Switches and remembers the language; the caller re-renders. */
export function setLanguage(next) {
  lang = next
  localStorage.setItem(KEY, next)
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en'
}

/** The string `key` in the current language, `{name}` replaced by `params.name`. */
export function t(key, params = {}) {
  const text = catalogues[lang][key] ?? catalogues.en[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''))
}
