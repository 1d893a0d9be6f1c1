import { useEffect, useRef, useState } from 'react'
import type uPlotType from 'uplot'
import { api, errorText, isAbsent } from '../api'
import { useLive } from '../context'
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

export function Trends() {
  const live = useLive()
  const numeric = [...live.feed('datapoint').items.values()].filter((d) => typeof d.value === 'number' && !d.command).map((d) => String(d.id))
  const [tags, setTags] = useState<string[]>([])
  const [span, setSpan] = useState(RANGES[0][1])
  const [window_, setWindow] = useState<{ from: number; to: number } | null>(null) // null = live tail
  const [data, setData] = useState<Series[]>([])
  const [absent, setAbsent] = useState('')
  const [error, setError] = useState('')
  const chartEl = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlotType | null>(null)
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
  useEffect(() => {
    if (window_) return
    const t = window.setInterval(fetchTrend, 5000)
    return () => window.clearInterval(t)
  })

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
      // live tail: append the values seen on the feed since the fetch
      const units = data.map((s) => String(live.feed('datapoint').items.get(s.tag)?.unit ?? ''))
      const scales = [...new Set(units)]
      const palette = ['#3a6ea5', '#b5651d', '#5b8c5a', '#7a5195', '#555']
      const opts: uPlotType.Options = {
        width,
        height: 380,
        cursor: { drag: { x: true, y: false } },
        scales: Object.fromEntries(scales.map((u) => [u || 'value', { auto: true }])),
        axes: [{ stroke: 'var(--ink)' }, ...scales.map((u, i) => ({ scale: u || 'value', label: u, side: i % 2 ? 1 : 3, stroke: 'var(--ink)' }))],
        series: [{}, ...data.map((s, i) => ({ label: s.tag, scale: units[i] || 'value', stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))],
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
    })
    return () => {
      gone = true
    }
  }, [data, width]) // eslint-disable-line react-hooks/exhaustive-deps

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
        <div ref={chartEl} className="chart" data-testid="trend-chart" />
        {!data.length && <p className="muted">No stored values for these tags in this range.</p>}
      </section>
    </div>
  )
}
