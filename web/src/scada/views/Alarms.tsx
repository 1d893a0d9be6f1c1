import { useEffect, useState, type FormEvent } from 'react'
import { api, errorText, post } from '../api'
import { sortAlarms } from '../AlarmBanner'
import { useCan, useFeed } from '../context'
import { fmtTime, isUnacked, priorityOf } from '../format'
import type { Item } from '../live'
import { Panel } from '../ui'

export function Alarms() {
  const { items, stale } = useFeed('alarm')
  const canAck = useCan('ack_alarm')
  const canShelve = useCan('shelve_alarm')
  const [shelving, setShelving] = useState<string | null>(null)
  const [error, setError] = useState('')
  const sorted = sortAlarms(items)
  const act = (p: Promise<unknown>) => p.then(() => setError(''), (e) => setError(errorText(e)))
  const unacked = sorted.filter((a) => isUnacked(a.state)).map((a) => String(a.rule_id))

  return (
    <div className="stack">
      <Panel
        title={`Active alarms (${sorted.length})`}
        actions={
          <button disabled={!canAck || !unacked.length} onClick={() => act(post('/api/alarms/ack', { rule_ids: unacked }))}>
            Acknowledge all ({unacked.length})
          </button>
        }
      >
        {error && <p className="error" role="alert">{error}</p>}
        <table className={`table ${stale ? 'stale' : ''}`} data-testid="active-alarms">
          <thead>
            <tr>
              <th>Priority</th>
              <th>Alarm</th>
              <th>State</th>
              <th>Activated</th>
              <th>Cleared</th>
              <th>Count</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((a) => {
              const p = priorityOf(a)
              const id = String(a.rule_id)
              const shelved = !!a.shelved || a.state === 'SHELVED'
              return (
                <tr key={id} className={isUnacked(a.state) ? `prio-${p.name} unacked` : ''} data-rule={id}>
                  <td>
                    <span aria-hidden="true">{p.icon}</span> {p.name}
                  </td>
                  <td>
                    <b>{id}</b>
                    {a.out_of_service ? <span className="tag">out of service</span> : null}
                    {a.suppressed ? <span className="tag">suppressed</span> : null}
                    {shelved ? <span className="tag">shelved</span> : null}
                  </td>
                  <td>{String(a.state)}</td>
                  <td>{fmtTime(a.activation_time)}</td>
                  <td>{fmtTime(a.deactivation_time)}</td>
                  <td className="num">{String(a.activations ?? '')}</td>
                  <td className="actions">
                    <button disabled={!canAck || !isUnacked(a.state)} onClick={() => act(post(`/api/alarms/${encodeURIComponent(id)}/ack`))}>
                      Ack
                    </button>
                    {shelved ? (
                      <button disabled={!canShelve} onClick={() => act(post(`/api/alarms/${encodeURIComponent(id)}/unshelve`, { reason: 'unshelved by operator' }))}>
                        Unshelve
                      </button>
                    ) : (
                      <button disabled={!canShelve} onClick={() => setShelving(id)}>
                        Shelve…
                      </button>
                    )}
                  </td>
                </tr>
              )
            })}
            {!sorted.length && (
              <tr>
                <td colSpan={7} className="muted">
                  No active alarms.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {shelving && <ShelveForm ruleId={shelving} onDone={() => setShelving(null)} />}
      </Panel>
      <Metrics version={items.length + sorted.map((a) => String(a.state)).join()} />
      <Journal version={sorted.map((a) => `${String(a.state)}${String(a.activations)}`).join()} />
    </div>
  )
}

function ShelveForm({ ruleId, onDone }: { ruleId: string; onDone: () => void }) {
  const [minutes, setMinutes] = useState(60)
  const [reason, setReason] = useState('')
  const [error, setError] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    post(`/api/alarms/${encodeURIComponent(ruleId)}/shelve`, { minutes, reason }).then(onDone, (err) => setError(errorText(err)))
  }
  return (
    <form className="dialog" onSubmit={submit} aria-label="Shelve alarm">
      <b>Shelve {ruleId}</b>
      <label>
        Minutes <input type="number" min={1} max={1440} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} />
      </label>
      <label>
        Reason <input required value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why it is shelved" />
      </label>
      {error && <span className="error">{error}</span>}
      <button type="submit" className="primary">
        Shelve
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  )
}

function Metrics({ version }: { version: string }) {
  const [m, setM] = useState<Record<string, unknown> | null>(null)
  useEffect(() => {
    const t = window.setTimeout(() => api<Record<string, unknown>>('/api/alarms/metrics').then(setM, () => setM(null)), 300)
    return () => window.clearTimeout(t)
  }, [version])
  if (!m) return null
  const show: [string, string][] = [
    ['activations_10min', 'Activations (10 min)'],
    ['unacknowledged', 'Unacknowledged'],
    ['standing_critical', 'Standing critical'],
    ['standing_high', 'Standing high'],
    ['chattering', 'Chattering'],
    ['stale', 'Stale (> 24 h)'],
    ['shelved', 'Shelved'],
    ['out_of_service', 'Out of service'],
    ['flood_periods', 'Flood periods'],
  ]
  return (
    <Panel title={m.flood ? 'Operator metrics — ALARM FLOOD' : 'Operator metrics'} className={m.flood ? 'abnormal' : ''}>
      <div className="metrics">
        {show.map(([k, label]) => (
          <div key={k}>
            <span className="muted">{label}</span>
            <b>{String(m[k] ?? '—')}</b>
          </div>
        ))}
      </div>
    </Panel>
  )
}

// Reloaded when an alarm changes state, so new entries appear without pressing Filter.
function Journal({ version }: { version: string }) {
  const [rule, setRule] = useState('')
  const [state, setState] = useState('')
  const [from, setFrom] = useState('')
  const [rows, setRows] = useState<Item[]>([])
  const [error, setError] = useState('')
  const load = () => {
    const q = new URLSearchParams({ limit: '200' })
    if (rule) q.set('rule_id', rule)
    if (state) q.set('state', state)
    if (from) q.set('from', new Date(from).toISOString())
    api<{ items: Item[] }>(`/api/alarms/journal?${q}`).then(
      (r) => {
        setRows(r.items)
        setError('')
      },
      (e) => setError(errorText(e)),
    )
  }
  useEffect(() => {
    const t = window.setTimeout(load, 300)
    return () => window.clearTimeout(t)
  }, [version]) // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <Panel
      title="Journal"
      actions={
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault()
            load()
          }}
        >
          <input aria-label="Rule" placeholder="rule id" value={rule} onChange={(e) => setRule(e.target.value)} />
          <select aria-label="State" value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">any state</option>
            {['ACTIVE', 'INACTIVE', 'ACK', 'FINISHED'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <input aria-label="From" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          <button type="submit">Filter</button>
        </form>
      }
    >
      {error && <p className="error">{error}</p>}
      <div className="scroll-box">
        <table className="table" data-testid="alarm-journal">
          <thead>
            <tr>
              <th>Time</th>
              <th>Alarm</th>
              <th>Event</th>
              <th>State</th>
              <th>Priority</th>
              <th>User</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={String(r.id)}>
                <td>{fmtTime(r.time)}</td>
                <td>{String(r.rule_id)}</td>
                <td>{String(r.event)}</td>
                <td>{String(r.state ?? '')}</td>
                <td>{priorityOf(r).name}</td>
                <td>{String(r.user ?? '')}</td>
                <td>{String(r.reason ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  )
}
