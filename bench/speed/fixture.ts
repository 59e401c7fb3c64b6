/** What the speed bench's app serves: how many tasks, and the bodies that create them. */
export const TASKS = 1000
export const detailBody = {
  workflow_name: 'topup_standard_workflow', task_name: '处理250624日期数据',
  parameters: { date_param: '250624', submit_job: true, max_wait_minutes: 25 },
}
/** The created task of the POST measure: a workflow without a day, so any number of them may be unfinished. */
export const createBody = { workflow_name: 'topup_available_dates', task_name: 'days of round18', parameters: { round: 'round18' } }
