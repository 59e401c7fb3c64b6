import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import { html } from '../html.js'
import { t } from '../i18n.js'
import { clockTime, duration } from '../format.js'
import { ticksOf, timelineOf } from '../timeline.js'
import { useNow } from './status.js'

const LANE = 26
const BAR = 16
const LABEL = 230
const AXIS = 22

/** The width its box has, following resizes. */
function useWidth() {
  const box = useRef(null)
  const [width, setWidth] = useState(900)
  useLayoutEffect(() => {
    const element = box.current
    if (!element) return
    const observer = new ResizeObserver(() => setWidth(element.clientWidth))
    observer.observe(element)
    setWidth(element.clientWidth)
    return () => observer.disconnect()
  }, [])
  return [box, width]
}

function barTitle(bar) {
  const { execution } = bar
  return t('timeline.barTitle', { step: execution.step_display_name, attempt: execution.attempt, status: t(`status.${execution.status}`),
    duration: duration((bar.to - bar.from) / 1000) })
}

/**
 * A picture of the task's run: one lane per step, one bar per attempt along time coloured by its status (a retry
 * beside the attempt it repeats, numbered), the task's pauses as bands across the lanes (review pauses yellow),
 * and the running attempt growing as time passes.
 */
export function StepTimeline({ executions, statuses, taskStatus }) {
  const [box, width] = useWidth()
  const running = executions.some((e) => e.status === 'running') || taskStatus === 'paused'
  useNow(running ? 1000 : 60_000)
  const now = Date.now()
  const { lanes, pauses, start, end } = timelineOf(executions, statuses, now)
  const plot = Math.max(100, width - LABEL - 10)
  const x = (at) => LABEL + ((at - start) / (end - start)) * plot
  const height = AXIS + lanes.length * LANE + 4

  return html`<section class="panel" aria-label=${t('timeline.title')}>
    <div class="panel-head"><h2>${t('timeline.title')}</h2>
      <span class="timeline-legend sub">
        <span class="swatch status-success"></span>${t('status.success')}
        <span class="swatch status-running"></span>${t('status.running')}
        <span class="swatch status-failed"></span>${t('status.failed')}
        <span class="swatch pause-review"></span>${t('timeline.review')}
        <span class="swatch pause-other"></span>${t('timeline.paused')}
      </span>
    </div>
    <div ref=${box} class="timeline" data-testid="timeline">
      ${lanes.length === 0 ? html`<p class="empty sub">${t('timeline.empty')}</p>` : html`<svg width=${width} height=${height}
        role="img" aria-label=${t('timeline.title')}>
        <defs><clipPath id="tl-label-column"><rect x="0" y="0" width=${LABEL - 8} height=${height} /></clipPath></defs>
        ${ticksOf(start, end, Math.max(2, Math.floor(plot / 110))).map((at) => html`<g class="tl-tick">
          <line x1=${x(at)} x2=${x(at)} y1=${AXIS - 4} y2=${height} /><text x=${x(at)} y=${AXIS - 8}>${clockTime(new Date(at).toISOString())}</text>
        </g>`)}
        ${pauses.map((pause) => html`<rect class=${pause.review ? 'tl-pause pause-review' : 'tl-pause pause-other'}
          data-pause=${pause.review ? 'review' : 'paused'} x=${x(pause.from)} y=${AXIS} width=${Math.max(2, x(pause.to) - x(pause.from))}
          height=${lanes.length * LANE}><title>${pause.reason}</title></rect>`)}
        ${lanes.map((lane, i) => {
          const y = AXIS + i * LANE
          return html`<g class="tl-lane" data-step=${lane.step}>
            <text class="tl-label" x="4" y=${y + LANE / 2 + 4} clip-path="url(#tl-label-column)">${lane.name}</text>
            ${lane.bars.map((bar, j) => {
              const left = x(bar.from)
              const w = Math.max(3, x(bar.to) - left)
              const previous = lane.bars[j - 1]
              return html`<g>
                ${previous ? html`<line class="tl-retry" x1=${x(previous.to)} x2=${left} y1=${y + LANE / 2} y2=${y + LANE / 2} />` : null}
                <rect class=${`tl-bar status-${bar.execution.status}${bar.running ? ' running' : ''}`} x=${left} y=${y + (LANE - BAR) / 2}
                  width=${w} height=${BAR} rx="2" data-attempt=${bar.execution.attempt} data-status=${bar.execution.status}>
                  <title>${barTitle(bar)}</title></rect>
                ${bar.execution.attempt > 1 ? html`<text class="tl-attempt" x=${left + w + 3} y=${y + LANE / 2 + 4}>↻${bar.execution.attempt}</text>` : null}
              </g>`
            })}
          </g>`
        })}
      </svg>`}
    </div>
  </section>`
}
