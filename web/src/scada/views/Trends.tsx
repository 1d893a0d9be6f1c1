import { useEffect, useMemo, useRef, useState } from 'react'
import type uPlotType from 'uplot'
import { api, errorText, isAbsent } from '../api'
import { useApp, useFeedMap } from '../context'
import { fmtValue } from '../format'
import { NotAvailable } from '../ui'

type Series = { tag: string; t: number[]; v: (number | null)[] }
const RANGES: [string, number][] = [
  ['15 min', 15 * 60e3],
  ['1 h', 3600e3],
  ['8 h', 8 * 3600e3],
  ['24 h', 24 * 3600e3],
  ['7 days', 7 * 24 * 3600e3],
]

// Accepts the historian's trend answer in the shapes it may take: {series:[{tag, points:[...]}]}
// or {items:[...]}, points as {t|time, v|value} or M4 buckets {time, first, min, max, last}.
export function normaliseTrend(r: unknown): Series[] {
  const o = r as { series?: unknown[]; items?: unknown[]; tags?: unknown[] }
  const list = (o.series ?? o.items ?? o.tags ?? []) as Record<string, unknown>[]
  return list.map((s) => {
    const pts = (s.points ?? s.values ?? s.buckets ?? []) as Record<string, unknown>[]
    const t: number[] = []
    const v: (number | null)[] = []
    for (const p of pts) {
      const time = Array.isArray(p) ? p[0] : (p.t ?? p.time ?? p.start)
      const ms = typeof time === 'number' ? (time > 1e12 ? time : time * 1000) : Date.parse(String(time))
      if (!Number.isFinite(ms)) continue
      if (!Array.isArray(p) && typeof p.min === 'number' && typeof p.max === 'number' && p.min !== p.max) {
        // M4 bucket: keep its extremes so spikes survive the point budget.
        t.push(ms / 1000, ms / 1000 + 1e-3)
        v.push(Number(p.first ?? p.min), Number(p.last ?? p.max))
        continue
      }
      const val = Array.isArray(p) ? p[1] : (p.v ?? p.value ?? p.last ?? p.avg)
      t.push(ms / 1000)
      v.push(typeof val === 'number' ? val : val === null || val === undefined ? null : Number(val))
    }
    return { tag: String(s.tag ?? s.id ?? s.datapoint ?? ''), t, v }
  })
}

// Several tags on one chart: one y axis per unit (tags without a unit share one), each axis
// labelled with its unit and the tags drawn on it, left, right, left... Pure, for the tests.
export interface AxisPlan {
  scale: string // uPlot scale key
  unit: string
  tags: string[]
  side: 1 | 3 // right | left
}
export function planAxes(tags: string[], unitOf: (tag: string) => string): AxisPlan[] {
  const axes: AxisPlan[] = []
  for (const tag of tags) {
    const unit = unitOf(tag)
    const scale = unit ? `u:${unit}` : 'u:'
    let a = axes.find((x) => x.scale === scale)
    if (!a) axes.push((a = { scale, unit, tags: [], side: axes.length % 2 ? 1 : 3 }))
    a.tags.push(tag)
  }
  return axes
}
export function axisLabel(a: AxisPlan): string {
  const names = a.tags.length > 2 ? `${a.tags.slice(0, 2).join(', ')} +${a.tags.length - 2}` : a.tags.join(', ')
  return a.unit ? `${a.unit} — ${names}` : names
}

// Live tail: how often the historian is asked again (its M4 buckets hold the extremes the live
// feed's coalescing skipped), and how many appended points per pixel force an earlier refetch.
const LIVE_REFETCH_MS = 60_000
const TAIL_POINTS_PER_PX = 4
const TAIL_SHOWN = 20 // appended values per tag kept in data-tail (tests, tools)

const PALETTE = ['#3a6ea5', '#b5651d', '#5b8c5a', '#7a5195', '#8a8a8a']
const cssVar = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback

// Follows the theme (data-theme on <html>): a canvas cannot use CSS variables, so the chart is
// redrawn with the theme's colours when it changes.
function useThemeRev(): number {
  const [rev, setRev] = useState(0)
  useEffect(() => {
    const obs = new MutationObserver(() => setRev((r) => r + 1))
    obs.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
    return () => obs.disconnect()
  }, [])
  return rev
}

export function Trends() {
  const { map: dpMap, keys: dpKeys } = useFeedMap('datapoint')
  const numeric = useMemo(
    () => [...dpMap.values()].filter((d) => typeof d.value === 'number' && !d.command).map((d) => String(d.id)),
    [dpMap, dpKeys], // eslint-disable-line react-hooks/exhaustive-deps
  )
  const themeRev = useThemeRev()
  // ?tags=a,b opens the view on those tags (links from other views).
  const [tags, setTags] = useState<string[]>(() => (new URLSearchParams(location.search).get('tags') ?? '').split(',').filter(Boolean))
  const [span, setSpan] = useState(RANGES[0][1])
  const [window_, setWindow] = useState<{ from: number; to: number } | null>(null) // null = live tail
  const [data, setData] = useState<Series[]>([])
  const [absent, setAbsent] = useState('')
  const [error, setError] = useState('')
  const chartEl = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlotType | null>(null)
  const plotTags = useRef<string[]>([]) // the tag of each y column of the drawn chart
  const { live } = useApp()
  const fetched = useRef({ from: 0, to: 0 }) // the window of `data`, in ms
  const [width, setWidth] = useState(800)

  useEffect(() => {
    if (!tags.length && numeric.length) setTags(numeric.slice(0, 2))
  }, [numeric.length]) // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const resize = () => setWidth(Math.max(300, Math.floor(chartEl.current?.clientWidth ?? 800)))
    resize()
    window.addEventListener('resize', resize)
    return () => window.removeEventListener('resize', resize)
  }, [])

  // Fetch at the resolution of the chart: the point budget is its width in pixels.
  const fetchTrend = () => {
    if (!tags.length) return
    const to = window_ ? window_.to : Date.now()
    const from = window_ ? window_.from : to - span
    const q = new URLSearchParams({ tags: tags.join(','), from: new Date(from).toISOString(), to: new Date(to).toISOString(), points: String(width) })
    api<unknown>(`/api/history/trend?${q}`).then(
      (r) => {
        fetched.current = { from, to }
        setData(normaliseTrend(r))
        setError('')
      },
      (e) => {
        if (isAbsent(e)) setAbsent('No historian on this server (modules[historian]).')
        else setError(errorText(e))
      },
    )
  }
  useEffect(fetchTrend, [tags.join(), span, window_, width]) // eslint-disable-line react-hooks/exhaustive-deps
  const refetch = useRef(fetchTrend)
  refetch.current = fetchTrend

  // Live tail: each value of a shown tag is appended to the drawn chart as it arrives (drawn once
  // per frame, the time axis moving with it), without asking the historian; it is asked again
  // every LIVE_REFETCH_MS, or sooner once the appended points pass TAIL_POINTS_PER_PX per pixel,
  // so the chart holds a bounded number of points whatever the update rate.
  useEffect(() => {
    if (window_ || !tags.length) return
    const wanted = new Set(tags)
    let queued: [string, number, number][] = []
    let appended = 0
    let frame = 0
    const shown = new Map<string, number[]>()
    const apply = () => {
      frame = 0
      const u = plot.current
      const batch = queued
      queued = []
      if (!u || !chartEl.current) return
      const xs = u.data[0] as number[]
      const ys = u.data.slice(1) as (number | null)[][]
      for (const [id, v, ms] of batch) {
        const k = plotTags.current.indexOf(id)
        const t = ms / 1000
        if (k < 0 || k >= ys.length || (xs.length && t < xs[xs.length - 1])) continue // older: the next fetch has it
        if (!xs.length || t > xs[xs.length - 1]) {
          xs.push(t)
          ys.forEach((c) => c.push(null))
        }
        ys[k][xs.length - 1] = v
        let s = shown.get(id)
        if (!s) shown.set(id, (s = []))
        s.push(v)
        if (s.length > TAIL_SHOWN) s.shift()
        appended++
      }
      const now = Date.now()
      fetched.current = { from: now - span, to: now }
      u.setData([xs, ...ys] as uPlotType.AlignedData)
      chartEl.current.dataset.tail = JSON.stringify(Object.fromEntries(shown))
      if (appended > TAIL_POINTS_PER_PX * width) {
        appended = 0
        refetch.current()
      }
    }
    const off = live.onValue((id, v, ms) => {
      if (!wanted.has(id)) return
      // No frames (a hidden tab): past the bound the queue goes and the chart is fetched again.
      if (queued.length >= TAIL_POINTS_PER_PX * width) {
        queued = []
        appended = Infinity
      }
      queued.push([id, v, ms])
      if (!frame) frame = requestAnimationFrame(apply)
    })
    const timer = window.setInterval(() => {
      appended = 0
      refetch.current()
    }, LIVE_REFETCH_MS)
    return () => {
      off()
      cancelAnimationFrame(frame)
      window.clearInterval(timer)
    }
  }, [window_, tags.join(), span, width, live]) // eslint-disable-line react-hooks/exhaustive-deps

  // Draw (uPlot, loaded on first use). Several tags: one y axis per unit.
  useEffect(() => {
    if (!chartEl.current || !data.length) return
    let gone = false
    void Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([{ default: uPlot }]) => {
      if (gone || !chartEl.current) return
      const xs = [...new Set(data.flatMap((s) => s.t))].sort((a, b) => a - b)
      const index = new Map(xs.map((x, i) => [x, i]))
      const cols = data.map((s) => {
        const col: (number | null)[] = new Array(xs.length).fill(null)
        s.t.forEach((t, i) => (col[index.get(t)!] = s.v[i]))
        return col
      })
      const units = data.map((s) => String(dpMap.get(s.tag)?.unit ?? ''))
      const unitOf = (tag: string) => units[data.findIndex((s) => s.tag === tag)] ?? ''
      const plan = planAxes(
        data.map((s) => s.tag),
        unitOf,
      )
      const ink = cssVar('--ink', '#1f1f1f')
      const grid = cssVar('--line', '#b3b3b3')
      const font = '12px system-ui, sans-serif'
      const colour = (tag: string) => PALETTE[data.findIndex((s) => s.tag === tag) % PALETTE.length]
      // Room for the widest tick value: measured, so large numbers are never clipped.
      const size = (self: uPlotType, values: string[] | null) => {
        if (!values?.length) return 40
        self.ctx.font = font
        return Math.ceil(Math.max(...values.map((v) => self.ctx.measureText(v ?? '').width))) + 16
      }
      const opts: uPlotType.Options = {
        width,
        height: 380,
        cursor: { drag: { x: true, y: false } },
        scales: {
          // the time axis spans the window asked for, not just the values stored in it
          x: { time: true, range: (): uPlotType.Range.MinMax => [fetched.current.from / 1000, fetched.current.to / 1000] },
          ...Object.fromEntries(plan.map((a) => [a.scale, { auto: true }])),
        },
        axes: [
          { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font },
          ...plan.map((a, i) => ({
            scale: a.scale,
            side: a.side,
            label: axisLabel(a),
            labelSize: 22,
            labelFont: `bold ${font}`,
            font,
            // one series on the axis: its colour, so which line it measures is plain
            stroke: a.tags.length === 1 ? colour(a.tags[0]) : ink,
            size,
            values: (_u: uPlotType, splits: number[]) => splits.map((v) => fmtValue(v)),
            grid: i === 0 ? { stroke: grid, width: 1 } : { show: false },
            ticks: { stroke: grid, width: 1 },
          })),
        ],
        series: [
          {},
          ...data.map((s, i) => ({
            label: units[i] ? `${s.tag} (${units[i]})` : s.tag,
            scale: plan.find((a) => a.tags.includes(s.tag))!.scale,
            stroke: colour(s.tag),
            width: 1.5,
            spanGaps: true,
            value: (_u: uPlotType, v: number | null) => (v === null || v === undefined ? '—' : `${fmtValue(v)}${units[i] ? ` ${units[i]}` : ''}`),
          })),
        ],
        hooks: {
          setSelect: [
            (u: uPlotType) => {
              if (u.select.width < 5) return
              const from = u.posToVal(u.select.left, 'x') * 1000
              const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000
              setWindow({ from, to })
            },
          ],
        },
      }
      plot.current?.destroy()
      chartEl.current.replaceChildren()
      plot.current = new uPlot(opts, [xs, ...cols] as uPlotType.AlignedData, chartEl.current)
      plotTags.current = data.map((s) => s.tag)
      // The y axes as drawn (uPlot draws them on the canvas), for tests and tools.
      chartEl.current.dataset.axes = JSON.stringify(
        plan.map((a) => ({ label: axisLabel(a), side: a.side === 3 ? 'left' : 'right', colour: a.tags.length === 1 ? colour(a.tags[0]) : ink })),
      )
      chartEl.current.dataset.ink = ink
    })
    return () => {
      gone = true
    }
  }, [data, width, themeRev]) // eslint-disable-line react-hooks/exhaustive-deps

  const pan = (dir: number) => {
    const to = window_ ? window_.to : Date.now()
    const from = window_ ? window_.from : to - span
    const d = (to - from) / 2
    setWindow({ from: from + dir * d, to: to + dir * d })
  }

  const csv = () => {
    const lines = ['time,' + data.map((s) => s.tag).join(',')]
    const rows = new Map<number, (number | null)[]>()
    data.forEach((s, k) =>
      s.t.forEach((t, i) => {
        if (!rows.has(t)) rows.set(t, new Array(data.length).fill(null))
        rows.get(t)![k] = s.v[i]
      }),
    )
    for (const [t, vs] of [...rows].sort((a, b) => a[0] - b[0])) lines.push(`${new Date(t * 1000).toISOString()},${vs.map((v) => v ?? '').join(',')}`)
    const a = document.createElement('a')
    a.href = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }))
    a.download = `weir-trend-${new Date().toISOString().slice(0, 19)}.csv`
    a.click()
    URL.revokeObjectURL(a.href)
  }

  // What the chart draws, for tests and tools (values only, no pixels): [{tag, unit, values}].
  const series = useMemo(
    () => JSON.stringify(data.map((s) => ({ tag: s.tag, unit: String(dpMap.get(s.tag)?.unit ?? ''), values: s.v.filter((v) => v !== null) }))),
    [data], // eslint-disable-line react-hooks/exhaustive-deps
  )

  if (absent) return <NotAvailable what="Trends">{absent}</NotAvailable>
  return (
    <div className="stack">
      <div className="panel toolbar">
        <select
          multiple
          aria-label="Tags"
          value={tags}
          onChange={(e) => setTags([...e.target.selectedOptions].map((o) => o.value))}
          size={Math.min(4, Math.max(2, numeric.length))}
        >
          {numeric.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <div className="row">
          {RANGES.map(([label, ms]) => (
            <button
              key={label}
              aria-pressed={!window_ && span === ms}
              onClick={() => {
                setSpan(ms)
                setWindow(null)
              }}
            >
              {label}
            </button>
          ))}
        </div>
        <button onClick={() => pan(-1)}>◀ Earlier</button>
        <button onClick={() => pan(1)}>Later ▶</button>
        <button aria-pressed={!window_} onClick={() => setWindow(null)}>
          Live
        </button>
        <button onClick={csv} disabled={!data.length}>
          CSV
        </button>
        <span className="muted">drag on the chart to zoom</span>
      </div>
      {error && <p className="error">{error}</p>}
      <section className="panel">
        <div ref={chartEl} className="chart" data-testid="trend-chart" data-series={series} />
        {!data.length && <p className="muted">No stored values for these tags in this range.</p>}
      </section>
    </div>
  )
}
