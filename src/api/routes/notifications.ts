import { isAdmin } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { listDeliveries, readPreferences, writePreferences } from '../../db/notify-repository.js'
import type { OutboxRow } from '../../db/tables.js'
import { AppError } from '../../errors.js'
import { readChannelFile } from '../../notify/channel-file.js'
import { defaultPreferences, parsePreferences } from '../../notify/preferences.js'
import type { RouteModule } from '../route-module.js'
import { problems } from '../schemas/common.js'
import { ChannelListSchema, DeliveryPageSchema, DeliveryQuery, PreferencesBody, PreferencesSchema } from '../schemas/notifications.js'

const toDelivery = ({ payload, recipients, ...row }: OutboxRow) =>
  ({ ...row, recipients: JSON.parse(recipients) as string[], message: JSON.parse(payload) as unknown })

/**
 * Notification choices and the record of what was sent. The channels come from NOTIFY_FILE (the server checked it
 * at start); only their names and types are ever shown, never an address, key or secret.
 */
export const notificationRoutes: RouteModule = async (app, deps) => {
  const channels = readChannelFile(deps.config.NOTIFY_FILE).map((c) => ({ name: c.name, type: c.type, triggers: c.triggers ?? [] }))

  app.get('/notifications/channels', {
    schema: {
      tags: ['notifications'], summary: 'The notification channels', operationId: 'listNotificationChannels',
      description: 'The channels of NOTIFY_FILE that a user may choose (names and types only).',
      response: { 200: ChannelListSchema },
    },
  }, async () => ({ items: channels }))

  app.get('/users/me/notifications', {
    schema: {
      tags: ['notifications'], summary: 'My notification choices', operationId: 'getMyNotifications',
      description: 'Which triggers to be told about (review, failed, succeeded, job_held), in which language (zh or en), '
        + 'on which channels, for my tasks or (admins) every task. Without a choice saved: no channels, so nothing is sent.',
      response: { 200: PreferencesSchema },
    },
  }, async (request) => parsePreferences(await readPreferences(deps.db, principalOf(request).userId)))

  app.put('/users/me/notifications', {
    schema: {
      tags: ['notifications'], summary: 'Set my notification choices', operationId: 'setMyNotifications',
      description: 'Replaces my choices (omitted fields take their defaults). 400 `validation_failed` for a channel '
        + 'NOTIFY_FILE does not have (GET /api/notifications/channels lists them); 403 `forbidden` for scope "all" '
        + 'without the admin role.',
      body: PreferencesBody,
      response: { 200: PreferencesSchema, ...problems('forbidden') },
    },
  }, async (request) => {
    const principal = principalOf(request)
    const body = { ...defaultPreferences(), ...request.body }
    const unknown = body.channels.filter((name) => !channels.some((c) => c.name === name))
    if (unknown.length > 0) {
      throw new AppError('validation_failed', `no such notification channel: ${unknown.join(', ')} (GET /api/notifications/channels lists them)`,
        { errors: [{ field: 'body.channels', message: `unknown channel ${unknown.join(', ')}` }] })
    }
    if (body.scope === 'all' && !isAdmin(principal)) {
      throw new AppError('forbidden', 'only an admin may be told about every task (scope "all"); use scope "own"')
    }
    await writePreferences(deps.db, principal.userId, JSON.stringify(body))
    return body
  })

  app.get('/notifications/deliveries', {
    schema: {
      tags: ['notifications'], summary: 'Notifications sent and failed', operationId: 'listNotificationDeliveries',
      description: 'Every notification the outbox holds, newest first: pending (waiting for its first try or a retry), '
        + 'sent, or failed (given up after NOTIFY_MAX_ATTEMPTS), with the attempts, the last error and what was sent. '
        + 'A user sees those about their own tasks; an admin sees all.',
      querystring: DeliveryQuery,
      response: { 200: DeliveryPageSchema },
    },
  }, async (request) => {
    const principal = principalOf(request)
    const { limit, offset, status } = request.query
    const { rows, total } = await listDeliveries(deps.db, { userId: isAdmin(principal) ? undefined : principal.userId, status },
      { limit, offset })
    return { items: rows.map(toDelivery), total, limit, offset }
  })
}
