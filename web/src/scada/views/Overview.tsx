import { memo, useMemo, useState } from 'react'
import { useApp, useFeed, useFeedMap } from '../context'
import { fmtValue, isStanding, isUnacked, PRIORITY } from '../format'
import type { Item } from '../live'
import { DriverState, Panel, Quality, Sparkline } from '../ui'

const KEY_TAGS = 'weir.keyTags'

function defaultKeys(ids: string[]): string[] {
  return ids.slice(0, 8)
}

export function Overview() {
  const { live, navigate } = useApp()
  const drivers = useFeed('communication').items
  const alarms = useFeed('alarm').items
  const devices = useFeed('devices').items
  // The datapoint feed's own map: no copy of every tag per frame (there may be 100,000).
  const { map: byId, keys: dpKeys } = useFeedMap('datapoint')
  const numeric = useMemo(
    () => [...byId.values()].filter((d) => typeof d.value === 'number' && !d.command).map((d) => String(d.id)),
    [byId, dpKeys], // eslint-disable-line react-hooks/exhaustive-deps
  )
  const [keys, setKeys] = useState<string[] | null>(() => {
    const s = localStorage.getItem(KEY_TAGS)
    return s ? (JSON.parse(s) as string[]) : null
  })
  const [choosing, setChoosing] = useState(false)
  const shown = keys ?? defaultKeys(numeric)
  const online = drivers.filter((d) => d.state === 'online').length

  return (
    <div className="grid overview">
      <Panel title={`Drivers online: ${online} / ${drivers.length}`} actions={<button onClick={() => navigate('communications')}>Details</button>}>
        <ul className="plain">
          {drivers.map((d) => (
            <li key={String(d.name)} className={d.state === 'online' ? '' : 'abnormal'}>
              <DriverState state={d.state} /> <b>{String(d.name)}</b> <span className="muted">{String(d.detail ?? '')}</span>
            </li>
          ))}
        </ul>
      </Panel>
      <Panel title="Active alarms by priority" actions={<button onClick={() => navigate('alarms')}>Alarm list</button>}>
        <table className="counts">
          <thead>
            <tr>
              <th>Priority</th>
              <th>Standing</th>
              <th>Unacknowledged</th>
            </tr>
          </thead>
          <tbody>
            {[1, 2, 3, 4].map((p) => {
              const of = alarms.filter((a) => a.priority === p)
              const standing = of.filter((a) => isStanding(a.state)).length
              const unacked = of.filter((a) => isUnacked(a.state)).length
              return (
                <tr key={p} className={unacked ? `prio-${PRIORITY[p].name}` : ''}>
                  <td>
                    <span aria-hidden="true">{PRIORITY[p].icon}</span> {PRIORITY[p].name}
                  </td>
                  <td className="num">{standing}</td>
                  <td className="num">{unacked}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </Panel>
      <Panel
        className="wide"
        title="Key values"
        actions={<button onClick={() => setChoosing(!choosing)}>{choosing ? 'Done' : 'Choose tags'}</button>}
      >
        {choosing && (
          <div className="chooser">
            {numeric.map((id) => (
              <label key={id}>
                <input
                  type="checkbox"
                  checked={shown.includes(id)}
                  onChange={(e) => {
                    const next = e.target.checked ? [...shown, id] : shown.filter((k) => k !== id)
                    localStorage.setItem(KEY_TAGS, JSON.stringify(next))
                    setKeys(next)
                  }}
                />
                {id}
              </label>
            ))}
          </div>
        )}
        <div className="keyvalues">
          {shown.map((id) => (
            <KeyValue key={id} id={id} d={byId.get(id)} history={live.history.get(id)} />
          ))}
        </div>
      </Panel>
      <Panel title="Demo devices" className="wide" actions={<button onClick={() => navigate('devices')}>Devices</button>}>
        <div className="devices-mini">
          {devices.map((dev) => {
            const id = String(dev.id)
            const v = (tag: string) => fmtValue(byId.get(`${id}@${tag}`)?.value)
            return (
              <div key={id} className={`kv ${dev.presence === 'online' ? '' : 'abnormal'}`}>
                <div className="kv-name">{id}</div>
                <div>presence: {String(dev.presence)}</div>
                <div>
                  {v('TEMPERATURE')} °C · {v('HUMIDITY')} % · mode {v('MODE')} · buzzer {v('BUZZER')}
                </div>
              </div>
            )
          })}
        </div>
      </Panel>
    </div>
  )
}

// One key value: re-rendered only when its datapoint changed (a new item object; its history is
// appended at the same time), so a frame with 1,000 updates redraws only the tags shown that moved.
const KeyValue = memo(function KeyValue({ id, d, history }: { id: string; d: Item | undefined; history: number[] | undefined }) {
  return (
    <div className={`kv ${d?.quality === 'bad' ? 'abnormal' : ''}`} data-tag={id}>
      <div className="kv-name">{id}</div>
      <div className="kv-value">
        {fmtValue(d?.value)} <span className="unit">{String(d?.unit ?? '')}</span>
      </div>
      <Sparkline values={history ?? []} />
      <Quality q={d?.quality} />
    </div>
  )
})
