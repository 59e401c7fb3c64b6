import { useAddress } from '../address.js'

/** The line a link names: `#/tasks/12/L340` is line (seq) 340 of task 12; null when the address names none. */
export const linkedSeq = () => {
  const match = /\/L(\d+)$/.exec(location.hash)
  return match ? Number(match[1]) : null
}

/** The linked line, following the address as it changes. */
export const useLinkedSeq = () => useAddress(linkedSeq)
