import { createDayList } from '../../days/day-list.js'
import { localTransports } from '../../remote/transport-provider.js'
import type { RouteModule } from '../route-module.js'
import { problems } from '../schemas/common.js'
import { DayListSchema, DaysQuery } from '../schemas/days.js'

export const dayRoutes: RouteModule = async (app, deps) => {
  const days = createDayList({ ...deps, transports: deps.transports ?? localTransports() })

  app.get('/days', {
    schema: {
      tags: ['days'], summary: 'List the days of a round', operationId: 'listDays',
      description: 'Every day with raw data on the site (`raw_data_dir`), whether the site has processed it (its '
        + '`InjSigTimeCal/<day>` folder exists) and the latest task of topup_standard_workflow for it; `next_day` is the '
        + 'earliest day to process. The site is listed in one command on the workflow\'s host, and the listing is reused '
        + 'for DAYS_CACHE_SECONDS (`refresh=true`: list now); the tasks are read on every request. The host not '
        + 'answering is 503 `site_unreachable`, the raw-data folder not listed is 502 `site_listing_failed`; '
        + 'InjSigTimeCal not listed gives `warning` and `processed: null`.',
      querystring: DaysQuery,
      response: { 200: DayListSchema, ...problems('site_listing_failed', 'site_unreachable', 'service_unavailable') },
    },
  }, async (request) => days.list(request.query.round, { refresh: request.query.refresh }))
}
