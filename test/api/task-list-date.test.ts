import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('list: the day of data (date_param) filter', async (t) => {
  const { app, db, authFor } = await buildTestApp(t)
  const admin = authFor('root', 'admin')
  for (const [user, date] of [['alice', '250601'], ['bob', '250602'], ['bob', '250601']] as const) {
    const res = await app.inject({ method: 'POST', url: '/api/tasks', headers: admin,
      payload: { user_id: user, workflow_name: 'topup_standard_workflow', parameters: { date_param: date }, task_name: `${user} ${date}` } })
    t.equal(res.statusCode, 201)
    // One unfinished task per day: the earlier one has ended before the day is taken up again.
    await db.updateTable('tasks').set({ status: 'cancelled' }).where('id', '=', res.json().id).execute()
  }
  const names = async (query: string, headers = admin) =>
    ((await app.inject({ url: `/api/tasks?${query}`, headers })).json() as { items: { task_name: string }[] }).items.map((i) => i.task_name)
  t.same(await names('date_param=250601'), ['bob 250601', 'alice 250601'], 'every task of the day, newest first')
  t.same(await names('date_param=250601&user_id=bob'), ['bob 250601'], 'with the user filter')
  t.same(await names('date_param=250603'), [])
  t.same(await names('date_param=250601', authFor('alice')), ['alice 250601'], 'a user sees only their own')
  for (const bad of ['2506', '2506011', '25O601', '', '250601%20']) {
    const res = await app.inject({ url: `/api/tasks?date_param=${bad}`, headers: admin })
    t.equal(res.statusCode, 400, JSON.stringify(bad))
    t.match(res.json(), { code: 'validation_failed', errors: [{ field: 'querystring.date_param' }] })
  }
})
