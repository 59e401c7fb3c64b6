import type { Static } from 'typebox'
import type { ArtifactListSchema } from '../api/schemas/artifacts.js'
import type { DayListSchema } from '../api/schemas/days.js'
import type { TaskLogPageSchema } from '../api/schemas/records.js'
import type { TaskDetailSchema, TaskPageSchema, TaskSchema } from '../api/schemas/tasks.js'
import type { WorkflowDetailSchema } from '../api/schemas/workflows.js'

// The answers' shapes, from the server's own schemas (type imports only: nothing of the server is loaded).
export type Task = Static<typeof TaskSchema>
export type TaskDetail = Static<typeof TaskDetailSchema>
export type TaskPage = Static<typeof TaskPageSchema>
export type TaskLogPage = Static<typeof TaskLogPageSchema>
export type ArtifactList = Static<typeof ArtifactListSchema>
export type DayList = Static<typeof DayListSchema>
export type WorkflowDetail = Static<typeof WorkflowDetailSchema>
