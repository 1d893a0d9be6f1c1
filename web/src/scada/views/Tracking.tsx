import { useEffect, useState } from 'react'
import { api, errorText, isAbsent } from '../api'
import { useFeed } from '../context'
import { fmtTime } from '../format'
import type { Item } from '../live'
import { NotAvailable, Panel } from '../ui'

function corr(e: Item): string {
  return String(e.correlation_id ?? e.correlation ?? '')
}

export function Tracking() {
  const feed = useFeed('tracking')
  const [recent, setRecent] = useState<Item[] | null>(null)
  const [absent, setAbsent] = useState('')
  const [follow, setFollow] = useState('')
  const [path, setPath] = useState<Item[] | null>(null)
  const [error, setError] = useState('')

  useEffect(() => {
    api<{ items?: Item[]; events?: Item[] }>('/api/tracking?limit=200').then(
      (r) => setRecent(r.items ?? r.events ?? []),
      (e) => setAbsent(isAbsent(e) ? 'Tracking is not enabled on this server (modules[tracking]).' : errorText(e)),
    )
  }, [])
  useEffect(() => {
    if (!follow) return setPath(null)
    api<{ items?: Item[]; events?: Item[] }>(`/api/tracking?correlation=${encodeURIComponent(follow)}`).then(
      (r) => setPath(r.items ?? r.events ?? []),
      (e) => setError(errorText(e)),
    )
  }, [follow, feed.items.length])

  if (absent && feed.status !== 'live') return <NotAvailable what="Tracking">{absent}</NotAvailable>
  const events = [...(recent ?? []), ...feed.items]
  const seen = new Set<string>()
  const unique = events.filter((e) => {
    const k = String(e.event_id ?? JSON.stringify(e))
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
  unique.sort((a, b) => String(b.time ?? '').localeCompare(String(a.time ?? '')))

  const table = (rows: Item[], id: string) => (
    <table className="table" data-testid={id}>
      <thead>
        <tr>
          <th>Time</th>
          <th>Source</th>
          <th>Status</th>
          <th>Correlation</th>
          <th>Payload</th>
        </tr>
      </thead>
      <tbody>
        {rows.slice(0, 300).map((e, i) => (
          <tr key={String(e.event_id ?? i)} className={e.status === 'failure' || e.status === 'blocked' ? 'abnormal' : ''}>
            <td>{fmtTime(e.time)}</td>
            <td>{String(e.source ?? '')}</td>
            <td>{String(e.status ?? '')}</td>
            <td>
              {corr(e) && (
                <button className="link" onClick={() => setFollow(corr(e))}>
                  {corr(e)}
                </button>
              )}
            </td>
            <td className="mono small">{typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload ?? e.summary ?? '')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
  return (
    <div className="stack">
      <Panel
        title="Follow one correlation id"
        actions={
          <input aria-label="Correlation id" placeholder="correlation id" value={follow} onChange={(e) => setFollow(e.target.value.trim())} />
        }
      >
        {error && <p className="error">{error}</p>}
        {path ? table([...path].sort((a, b) => String(a.time).localeCompare(String(b.time))), 'tracking-path') : <p className="muted">Pick a correlation id below.</p>}
      </Panel>
      <Panel title="Recent events">
        <div className="scroll-box">{table(unique, 'tracking-recent')}</div>
      </Panel>
    </div>
  )
}
