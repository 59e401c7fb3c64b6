import { useState } from 'preact/hooks'
import { taskAction } from '../api.js'

/** One lifecycle request at a time: `run(action, body)` posts it and hands the task it answers to `onChanged`. */
export function useAction(task, onChanged) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(null)
  const run = async (action, body) => {
    setBusy(true)
    setError(null)
    try {
      onChanged(await taskAction(task.id, action, body))
      return true
    } catch (e) {
      setError(e)
      return false
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run }
}
