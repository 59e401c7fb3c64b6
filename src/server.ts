import type { FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'
import type { AppDeps } from './api/deps.js'
import { buildApp } from './app.js'
import type { Api } from './api/route-module.js'
import { loadConfig, loadDotEnv, type Config } from './config.js'
import { openDatabase } from './db/connect.js'
import { createLogger } from './logger.js'
import { implementedStepTypes, stepRegistry } from './steps/registry.js'
import { createEngine } from './engine/engine.js'
import { createTransportProvider } from './remote/transport-provider.js'
import { loadHostsFile, secretVariables } from './remote/hosts.js'
import { checkCanListen, listenError } from './listen-check.js'
import { channelSecretVariables, loadChannels } from './notify/channel-file.js'
import { createNotifier } from './notify/notifier.js'
import { resolveSecretKey } from './auth/secret.js'
import { systemClock } from './schedules/clock.js'
import { loadSchedules } from './schedules/schedule-file.js'
import { createScheduler } from './schedules/scheduler.js'
import { loadWorkflows } from './workflows/loader.js'
import { syncWorkflows } from './workflows/sync.js'

export interface RunningServer {
  app: Api
  config: Readonly<Config>
  logger: Logger
  /** Registers work to do on shutdown before the HTTP server and the database close (newest first). */
  onShutdown(fn: () => Promise<void> | void): void
  /** Reopens LOG_FILE (after logrotate moved it). */
  reopenLog(): void
  close(): Promise<void>
}

/**
 * Start-up in order: .env, config, a check that the port is free, logger, database, workflows and schedules (an
 * invalid file stops here), app, listen, recovery, schedules armed, notifications. Throws ConfigError / ListenError /
 * HostsFileError / WorkflowLoadError / ScheduleFileError / NotifyFileError (a ConfigError) for main.ts to print.
 */
export async function startServer(env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  loadDotEnv()
  const config = loadConfig(env)
  await checkCanListen(config.HOST, config.PORT)
  const channels = loadChannels(config.NOTIFY_FILE, env)
  const log = createLogger(config, process.stdout,
    [...secretVariables(loadHostsFile(config.HOSTS_FILE)), ...channelSecretVariables(channels)])
  const logger = log.logger
  const { db } = openDatabase(config.databaseFile)
  const shutdownHooks: (() => Promise<void> | void)[] = []
  try {
    const workflows = await syncWorkflows(db, loadWorkflows(config.WORKFLOWS_DIR), implementedStepTypes())
    for (const wf of workflows.list()) {
      logger.info({ workflow: wf.name, version: wf.definition.version, runnable: wf.runnable,
        missing_step_types: wf.missingStepTypes }, 'workflow loaded')
    }
    const transports = createTransportProvider({ config, db, logger, withhold: channelSecretVariables(channels) })
    shutdownHooks.push(() => transports.close())
    const engine = createEngine({
      db, config, logger, steps: stepRegistry, transports,
      hostPollMinSeconds: (host) => transports.hosts.get(host)?.job_poll_min_seconds,
    })
    // Registered after the pool's close, so it runs before it: running steps drain first.
    shutdownHooks.push(() => engine.shutdown())
    const scheduler = createScheduler({
      db, workflows, siteVars: config.siteVars, control: engine, logger, clock: systemClock,
      schedules: loadSchedules(config.SCHEDULES_FILE, workflows), catchUpMax: config.SCHEDULE_CATCH_UP_MAX,
    })
    // Registered after the engine's shutdown, so it runs before it: no task is made while the engine drains.
    shutdownHooks.push(() => scheduler.stop())
    const deps: AppDeps = {
      config, db, workflows, control: engine, events: engine.events, logger: logger as FastifyBaseLogger, transports, scheduler,
    }
    const app = await buildApp(deps)
    await app.listen({ host: config.HOST, port: config.PORT }).catch(async (error: unknown) => {
      throw await listenError(error, config.HOST, config.PORT)
    })
    // After listen: a second server started by mistake on the same port stops before touching any task.
    await engine.recover()
    await scheduler.start()
    const notifier = createNotifier({
      db, events: engine.events, channels, config, secretKey: resolveSecretKey(config), clock: systemClock, logger,
    })
    await notifier.start()
    // Registered last, so it stops first: what the drain still changes is read from the events at the next start.
    shutdownHooks.push(() => notifier.stop())
    logger.info({ database: config.databaseFile }, 'topup listening')

    let closing: Promise<void> | null = null
    const close = () => closing ??= (async () => {
      for (const hook of [...shutdownHooks].reverse()) {
        try {
          await hook()
        } catch (error) {
          logger.error({ err: error }, 'shutdown hook failed')
        }
      }
      await app.close()
      await db.destroy()
      logger.info('topup stopped')
      log.close()
    })()
    return { app, config, logger, onShutdown: (fn) => void shutdownHooks.push(fn), reopenLog: log.reopen, close }
  } catch (error) {
    for (const hook of [...shutdownHooks].reverse()) await Promise.resolve(hook()).catch(() => {})
    await db.destroy()
    log.close()
    throw error
  }
}

/** Closes gracefully on SIGTERM/SIGINT (a second signal exits at once); SIGHUP reopens the log file. */
export function handleSignals(server: RunningServer): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    server.logger.info({ signal }, 'shutting down')
    server.close().then(() => process.exit(0), (error: unknown) => {
      server.logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('SIGHUP', () => server.reopenLog())
}
