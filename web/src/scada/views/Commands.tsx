import { useMemo, useState, type FormEvent } from 'react'
import { errorText, post } from '../api'
import { useCan, useFeed, useFeedMap } from '../context'
import { fmtTime, fmtValue } from '../format'
import { parseLike } from './Datapoints'

const VERBS = ['TOGGLE', 'OPEN', 'CLOSE', 'START', 'STOP', 'PLAY', 'RESUME']

export function statusIcon(s: unknown) {
  return s === 'ok' ? '✓' : s === 'pending' || s === 'sent' ? '…' : '✕'
}

export function Commands() {
  const { map, keys } = useFeedMap('datapoint')
  const dps = useMemo(() => [...map.values()].filter((d) => d.command), [map, keys]) // eslint-disable-line react-hooks/exhaustive-deps
  const { items, stale } = useFeed('command')
  const canSend = useCan('send_command')
  const [dp, setDp] = useState('')
  const [value, setValue] = useState('TOGGLE')
  const [msg, setMsg] = useState('')
  const chosen = dps.find((d) => d.id === dp)
  const history = [...items].sort((a, b) => String(b.time ?? '').localeCompare(String(a.time ?? '')))

  const submit = (e: FormEvent) => {
    e.preventDefault()
    let v: unknown = value
    try {
      v = chosen && typeof chosen.value === 'number' ? parseLike(value, chosen.value) : value
    } catch (err) {
      return setMsg(errorText(err))
    }
    post<{ command_id?: string }>('/api/commands', { datapoint: dp, value: v }).then(
      (r) => setMsg(`Sent (${r.command_id ?? 'no id'}); feedback below.`),
      (err) => setMsg(errorText(err)),
    )
  }

  return (
    <div className="stack">
      <form className="panel toolbar" onSubmit={submit} aria-label="Send command">
        <label>
          Command{' '}
          <select required value={dp} onChange={(e) => setDp(e.target.value)} aria-label="Command datapoint">
            <option value="">choose…</option>
            {dps.map((d) => (
              <option key={String(d.id)}>{String(d.id)}</option>
            ))}
          </select>
        </label>
        <label>
          Value <input list="verbs" value={value} onChange={(e) => setValue(e.target.value)} aria-label="Command value" />
        </label>
        <datalist id="verbs">
          {VERBS.map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <button type="submit" className="primary" disabled={!canSend || !dp} title={canSend ? '' : 'You may not send commands'}>
          Send
        </button>
        {msg && <span role="status">{msg}</span>}
      </form>
      <section className="panel">
        <header>
          <h2>Feedback history</h2>
        </header>
        <div className="scroll-box">
          <table className={`table ${stale ? 'stale' : ''}`} data-testid="command-history">
            <thead>
              <tr>
                <th>Time</th>
                <th>Datapoint</th>
                <th>Value</th>
                <th>Status</th>
                <th>Reason</th>
                <th>User</th>
              </tr>
            </thead>
            <tbody>
              {history.map((c) => (
                <tr key={String(c.command_id)} className={c.status === 'ok' || c.status === 'pending' ? '' : 'abnormal'} data-command={String(c.command_id)}>
                  <td>{fmtTime(c.time)}</td>
                  <td className="mono">{String(c.datapoint)}</td>
                  <td>{fmtValue(c.value)}</td>
                  <td>
                    <span aria-hidden="true">{statusIcon(c.status)}</span> {String(c.status)}
                  </td>
                  <td>{[c.reason !== 'none' ? c.reason : '', c.detail].filter(Boolean).map(String).join(' — ')}</td>
                  <td>{String(c.user ?? '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  )
}
