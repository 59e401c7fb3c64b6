import t from 'tap'

/** The page's catalogues are plain ES modules of public/ (no types): loaded by path. */
const catalogue = async (lang: string): Promise<Record<string, string>> =>
  (await import(`../../public/app/i18n/${lang}.js`) as { default: Record<string, string> }).default

t.test('the Chinese and English catalogues have the same keys, each with the same placeholders', async (t) => {
  const [en, zh] = [await catalogue('en'), await catalogue('zh')]
  t.same(Object.keys(zh).sort(), Object.keys(en).sort())
  const placeholders = (text: string) => (text.match(/\{\w+\}/g) ?? []).sort()
  for (const [key, text] of Object.entries(en)) {
    t.same(placeholders(zh[key] ?? ''), placeholders(text), `${key}: same placeholders`)
    t.not(zh[key], '', `${key} is translated`)
  }
})
