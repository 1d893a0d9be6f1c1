import { useEffect, useMemo, useState } from 'react'
import { api, errorText, post } from '../api'
import { useCan, useFeed, useFeedMap } from '../context'
import { fmtTime, fmtValue } from '../format'
import type { Item } from '../live'
import { Panel, Quality } from '../ui'

export function Devices() {
  const { items } = useFeed('devices')
  const { map, keys } = useFeedMap('datapoint')
  // Ids per device, recomputed only when the set of datapoints changes.
  const ids = useMemo(() => {
    const by = new Map<string, string[]>()
    for (const [k, p] of map) if (!p.command) by.set(String(p.driver), [...(by.get(String(p.driver)) ?? []), k])
    return by
  }, [map, keys]) // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="grid">
      {items.map((d) => (
        <Device key={String(d.id)} dev={d} dps={(ids.get(String(d.id)) ?? []).map((k) => map.get(k)).filter((p): p is Item => !!p)} />
      ))}
      {!items.length && <p className="muted">No demo devices are configured.</p>}
    </div>
  )
}

function Device({ dev, dps }: { dev: Item; dps: Item[] }) {
  const id = String(dev.id)
  const canControl = useCan('device_control')
  const [log, setLog] = useState<Item[]>([])
  const [error, setError] = useState('')
  const version = `${String(dev.readings)}:${String(dev.presence)}`
  useEffect(() => {
    const t = window.setTimeout(() => {
      Promise.all([
        api<{ items: Item[] }>(`/api/devices/${id}/commands`).catch(() => ({ items: [] })),
        api<{ items: Item[] }>(`/api/devices/${id}/presence`).catch(() => ({ items: [] })),
      ]).then(([c, p]) => {
        const all: Item[] = [
          ...c.items.map((x) => ({ ...x, kind: 'command' })),
          ...p.items.map((x) => ({ ...x, kind: 'presence' })),
        ]
        all.sort((a, b) => String(b.time ?? '').localeCompare(String(a.time ?? '')))
        setLog(all.slice(0, 20))
      })
    }, 300)
    return () => window.clearTimeout(t)
  }, [id, version])
  const v = (tag: string) => dps.find((p) => p.tag === tag)
  const act = (a: string) => post(`/api/devices/${id}/${a}`).then(() => setError(''), (e) => setError(errorText(e)))
  return (
    <Panel title={`${id} — ${String(dev.presence)}`} className={dev.presence === 'online' ? '' : 'abnormal'}>
      <div className="device-head" data-device={id}>
        <span>
          Presence: <b>{String(dev.presence)}</b>
        </span>
        <span>
          Mode: <b>{fmtValue(v('MODE')?.value)}</b>
        </span>
        <span>
          Buzzer: <b>{fmtValue(v('BUZZER')?.value)}</b>
        </span>
        <span>Readings: {String(dev.readings ?? 0)}</span>
      </div>
      <div className="row">
        {['play', 'stop', 'resume'].map((a) => (
          <button key={a} disabled={!canControl} onClick={() => void act(a)} title={canControl ? '' : 'You may not control devices'}>
            {a[0].toUpperCase() + a.slice(1)}
          </button>
        ))}
        {error && <span className="error">{error}</span>}
      </div>
      <table className="table compact">
        <tbody>
          {dps.map((p) => (
            <tr key={String(p.id)}>
              <td>{String(p.tag)}</td>
              <td className="num">
                {fmtValue(p.value)} {String(p.unit ?? '')}
              </td>
              <td>
                <Quality q={p.quality} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Recent log</h3>
      <ul className="plain log">
        {log.map((l, i) => (
          <li key={i}>
            {fmtTime(l.time)} {String(l.kind)}: {fmtValue(l.value ?? l.presence ?? l.status ?? l.payload)}
          </li>
        ))}
        {!log.length && <li className="muted">nothing yet</li>}
      </ul>
    </Panel>
  )
}
