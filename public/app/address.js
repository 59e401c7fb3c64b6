import { useEffect, useState } from 'preact/hooks'

/** `read()` of the address (its `#…` part), read again whenever that changes. */
export function useAddress(read) {
  const [value, setValue] = useState(read)
  useEffect(() => {
    const changed = () => setValue(read())
    window.addEventListener('hashchange', changed)
    return () => window.removeEventListener('hashchange', changed)
  }, [])
  return value
}
