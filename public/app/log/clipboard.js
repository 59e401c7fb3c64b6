/**
 * Puts text on the clipboard. The Clipboard API needs a secure context (https or localhost); on a plain-http
 * address of the site's network the page falls back to a hidden text field and the copy command.
 */
export async function copyText(text) {
  if (window.isSecureContext && navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(text)
      return true
    } catch { /* refused (no permission): try the old way */ }
  }
  const field = document.createElement('textarea')
  field.value = text
  field.setAttribute('readonly', '')
  field.style.cssText = 'position: fixed; left: -9999px; top: 0'
  document.body.append(field)
  field.select()
  const done = document.execCommand('copy')
  field.remove()
  return done
}
