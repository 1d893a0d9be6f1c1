import { memo, useMemo, useRef, useState, type FormEvent } from 'react'
import { errorText, post } from '../api'
import { useCan, useFeedMap } from '../context'
import { fmtTime, fmtValue } from '../format'
import type { Item } from '../live'
import { Quality } from '../ui'

const ROW = 40 // px: a 34 px touch-size button, padding and the border
const OVERSCAN = 10
// The scroll position is kept in steps of STEP rows: scrolling within a step re-renders nothing
// (React skips a state set to the same value), the overscan covers the rest.
const STEP = 5
type SortKey = 'id' | 'value' | 'quality' | 'source_time' | 'server_time'

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = String(a ?? '')
  const y = String(b ?? '')
  return x < y ? -1 : x > y ? 1 : 0
}

// Every tag, virtualised: only the rows in view (plus a few) are in the DOM, so 100,000 rows
// scroll as smoothly as 10. The order is recomputed when the set, filter or sort changes (and on
// value changes only when sorting by a value or time column).
export function Datapoints() {
  const { map: items, version, keys, stale } = useFeedMap('datapoint')
  const canWrite = useCan('write_datapoint')
  const [filter, setFilter] = useState('')
  const [quality, setQuality] = useState('')
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'id', dir: 1 })
  const [scroll, setScroll] = useState(0)
  const [height, setHeight] = useState(600)
  const [writing, setWriting] = useState<string | null>(null)
  const box = useRef<HTMLDivElement>(null)
  const valueSort = sort.key !== 'id' && sort.key !== 'quality'

  const order = useMemo(() => {
    const f = filter.toLowerCase()
    const rows: Item[] = []
    for (const it of items.values()) {
      if (f && !String(it.id).toLowerCase().includes(f)) continue
      if (quality && it.quality !== quality) continue
      rows.push(it)
    }
    rows.sort((a, b) => sort.dir * cmp(a[sort.key], b[sort.key]))
    return rows.map((r) => String(r.id))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items, keys, filter, quality, sort, valueSort ? version : 0])

  // The set may have shrunk since the last scroll event (a new snapshot, a filter): clamp.
  const top = Math.min(scroll, Math.max(0, order.length * ROW - height))
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN)
  const last = Math.min(order.length, Math.ceil((top + height) / ROW) + STEP + OVERSCAN)
  const header = (key: SortKey, label: string) => (
    <th
      aria-sort={sort.key === key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
      onClick={() => setSort({ key, dir: sort.key === key ? ((-sort.dir) as 1 | -1) : 1 })}
    >
      {label} {sort.key === key ? (sort.dir === 1 ? '▲' : '▼') : ''}
    </th>
  )

  return (
    <div className="dp-view">
      <div className="toolbar">
        <input aria-label="Filter datapoints" placeholder="Filter by id…" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <select aria-label="Quality" value={quality} onChange={(e) => setQuality(e.target.value)}>
          <option value="">any quality</option>
          <option value="good">good</option>
          <option value="uncertain">uncertain</option>
          <option value="bad">bad</option>
        </select>
        <span className="muted" data-testid="dp-count">
          {order.length} of {items.size} datapoints
        </span>
      </div>
      <div
        className={`vtable ${stale ? 'stale' : ''}`}
        ref={box}
        onScroll={(e) => {
          setScroll(Math.floor(e.currentTarget.scrollTop / (ROW * STEP)) * ROW * STEP)
          setHeight(e.currentTarget.clientHeight)
        }}
      >
        <table className="table" data-testid="datapoints">
          <thead>
            <tr>
              {header('id', 'Datapoint')}
              {header('value', 'Value')}
              <th>Unit</th>
              {header('quality', 'Quality')}
              {header('source_time', 'Source time')}
              {header('server_time', 'Server time')}
              <th>Write</th>
            </tr>
          </thead>
          <tbody>
            <tr style={{ height: first * ROW }} aria-hidden="true" />
            {order.slice(first, last).map((id) => {
              const d = items.get(id)
              return d ? <Row key={id} id={id} d={d} canWrite={canWrite} writing={writing === id} setWriting={setWriting} /> : null
            })}
            <tr style={{ height: (order.length - last) * ROW }} aria-hidden="true" />
          </tbody>
        </table>
      </div>
    </div>
  )
}

// One row: re-rendered only when its datapoint changed (the feed replaces an item's object on
// update), so 1,000 updates/s over 100,000 tags touch only the few rows on screen that moved.
const Row = memo(function Row({ id, d, canWrite, writing, setWriting }: { id: string; d: Item; canWrite: boolean; writing: boolean; setWriting: (id: string | null) => void }) {
  return (
    <tr style={{ height: ROW }} className={d.quality === 'bad' ? 'abnormal' : ''} data-dp={id}>
      <td className="mono">{id}</td>
      <td className="num value">{fmtValue(d.value)}</td>
      <td>{String(d.unit ?? '')}</td>
      <td>
        <Quality q={d.quality} />
      </td>
      <td>{fmtTime(d.source_time)}</td>
      <td>{fmtTime(d.server_time)}</td>
      <td>
        {writing ? (
          <WriteForm d={d} onDone={() => setWriting(null)} />
        ) : (
          <button disabled={!canWrite} title={canWrite ? 'Write a value' : 'You may not write datapoints'} onClick={() => setWriting(id)}>
            Write…
          </button>
        )}
      </td>
    </tr>
  )
})

export function parseLike(text: string, like: unknown): unknown {
  if (typeof like === 'number') {
    const n = Number(text)
    if (text.trim() === '' || Number.isNaN(n)) throw new Error('a number is expected')
    return n
  }
  if (typeof like === 'boolean') return text === 'true'
  return text
}

function WriteForm({ d, onDone }: { d: Item; onDone: () => void }) {
  const [text, setText] = useState(fmtValue(d.value))
  const [error, setError] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    try {
      const value = parseLike(text, d.value)
      post(`/api/datapoints/${encodeURIComponent(String(d.id))}/value`, { value }).then(onDone, (err) => setError(errorText(err)))
    } catch (err) {
      setError(errorText(err))
    }
  }
  return (
    <form className="inline" onSubmit={submit}>
      <input aria-label={`New value of ${String(d.id)}`} value={text} onChange={(e) => setText(e.target.value)} autoFocus size={8} />
      <button type="submit">Set</button>
      <button type="button" onClick={onDone}>
        ✕
      </button>
      {error && <span className="error">{error}</span>}
    </form>
  )
}
