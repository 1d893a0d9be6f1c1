import { useState } from 'react'
import { errorText, post } from '../api'
import { useCan, useFeed } from '../context'
import { fmtTime } from '../format'
import { DriverState } from '../ui'

export function Communications() {
  const { items, stale } = useFeed('communication')
  const canControl = useCan('control_driver')
  const [error, setError] = useState('')
  const act = (name: string, verb: string) =>
    post(`/api/drivers/${encodeURIComponent(name)}/${verb}`).then(() => setError(''), (e) => setError(errorText(e)))
  return (
    <section className="panel">
      <header>
        <h2>Drivers</h2>
      </header>
      {error && <p className="error" role="alert">{error}</p>}
      <table className={`table ${stale ? 'stale' : ''}`} data-testid="drivers">
        <thead>
          <tr>
            <th>Driver</th>
            <th>Class</th>
            <th>State</th>
            <th>Detail</th>
            <th>Since</th>
            <th>Reconnects</th>
            <th>Tags</th>
            <th>Control</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => {
            const name = String(d.name)
            return (
              <tr key={name} className={d.state === 'online' ? '' : 'abnormal'} data-driver={name}>
                <td>
                  <b>{name}</b>
                </td>
                <td>{String(d.driver_class ?? '')}</td>
                <td>
                  <DriverState state={d.state} />
                </td>
                <td>{String(d.detail ?? '')}</td>
                <td>{fmtTime(d.since)}</td>
                <td className="num">{String(d.reconnect_attempts ?? 0)}</td>
                <td className="num">{String(d.datapoints ?? '')}</td>
                <td className="actions">
                  <button disabled={!canControl} onClick={() => void act(name, 'connect')}>
                    Connect
                  </button>
                  <button disabled={!canControl} onClick={() => void act(name, 'disconnect')}>
                    Disconnect
                  </button>
                  <button disabled={!canControl} onClick={() => void act(name, 'toggle')}>
                    Toggle
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </section>
  )
}
