import type { RouteModule } from '../route-module.js'
import { artifactRoutes } from './artifacts.js'
import { auditRoutes } from './audit.js'
import { dayRoutes } from './days.js'
import { eventRoutes } from './events.js'
import { executionRoutes } from './executions.js'
import { healthRoutes } from './health.js'
import { jobRoutes } from './jobs.js'
import { logRoutes } from './logs.js'
import { notificationRoutes } from './notifications.js'
import { readyRoutes } from './ready.js'
import { scheduleRoutes } from './schedules.js'
import { taskRoutes } from './tasks.js'
import { taskLifecycleRoutes } from './task-lifecycle.js'
import { workflowRoutes } from './workflows.js'
import { wsRoutes } from './ws.js'

/** Every route module of the API; a new file of routes adds one line here. */
export const routeModules: RouteModule[] = [
  healthRoutes,
  readyRoutes,
  taskRoutes,
  taskLifecycleRoutes,
  logRoutes,
  eventRoutes,
  wsRoutes,
  executionRoutes,
  jobRoutes,
  artifactRoutes,
  workflowRoutes,
  dayRoutes,
  scheduleRoutes,
  auditRoutes,
  notificationRoutes,
]
