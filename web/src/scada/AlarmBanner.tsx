import { useEffect, useRef, useState } from 'react'
import { errorText, post } from './api'
import { useApp, useCan, useFeed } from './context'
import { fmtTime, isUnacked, priorityOf } from './format'
import type { Item } from './live'

export function sortAlarms(items: Item[]): Item[] {
  return [...items].sort(
    (a, b) =>
      priorityOf(a).level - priorityOf(b).level ||
      String(b.activation_time ?? '').localeCompare(String(a.activation_time ?? '')),
  )
}

// Across every view: the most important unacknowledged alarm, an acknowledge button, a sound
// while any is unacknowledged (muted per browser), and a link to the alarm list.
export function AlarmBanner() {
  const { navigate } = useApp()
  const { items, status } = useFeed('alarm')
  const canAck = useCan('ack_alarm')
  const [muted, setMuted] = useState(() => localStorage.getItem('weir.mute') === '1')
  const [error, setError] = useState('')
  const unacked = sortAlarms(items.filter((a) => isUnacked(a.state)))
  const top = unacked[0]
  useAlarmSound(!!top && !muted, top ? priorityOf(top).level : 4)

  if (status === 'unavailable') return null
  if (!top)
    return (
      <div className="alarm-banner quiet" data-testid="alarm-banner">
        <span>No unacknowledged alarms</span>
      </div>
    )
  const p = priorityOf(top)
  return (
    <div className={`alarm-banner prio-${p.name}`} data-testid="alarm-banner" role="alert">
      <span className="prio-tag">
        <span aria-hidden="true">{p.icon}</span> {p.name.toUpperCase()}
      </span>
      <b className="alarm-name">{String(top.rule_id)}</b>
      <span>{String(top.state)}</span>
      <span>since {fmtTime(top.activation_time)}</span>
      {unacked.length > 1 && <span className="more">+{unacked.length - 1} more unacknowledged</span>}
      {error && <span className="error">{error}</span>}
      <span className="spacer" />
      <button
        type="button"
        disabled={!canAck}
        title={canAck ? 'Acknowledge this alarm' : 'You may not acknowledge alarms'}
        onClick={() => post(`/api/alarms/${encodeURIComponent(String(top.rule_id))}/ack`).then(() => setError(''), (e) => setError(errorText(e)))}
      >
        Acknowledge
      </button>
      <button type="button" className="to-list" onClick={() => navigate('alarms')}>
        Alarm list
      </button>
      <button
        type="button"
        aria-pressed={muted}
        onClick={() => {
          localStorage.setItem('weir.mute', muted ? '0' : '1')
          setMuted(!muted)
        }}
      >
        {muted ? '♪ Sound off' : '♪ Sound on'}
      </button>
    </div>
  )
}

// A short beep every 2 s (faster for critical) while on; browsers start audio only after a click,
// so until then it is silent.
function useAlarmSound(on: boolean, level: number) {
  const ctx = useRef<AudioContext | null>(null)
  useEffect(() => {
    if (!on) return
    const beep = () => {
      try {
        ctx.current ??= new AudioContext()
        const ac = ctx.current
        if (ac.state !== 'running') return
        const o = ac.createOscillator()
        const g = ac.createGain()
        o.frequency.value = level <= 1 ? 880 : 660
        g.gain.value = 0.05
        o.connect(g).connect(ac.destination)
        o.start()
        o.stop(ac.currentTime + 0.15)
      } catch {
        /* no audio: the banner still shows */
      }
    }
    const resume = () => void ctx.current?.resume()
    window.addEventListener('pointerdown', resume)
    const t = window.setInterval(beep, level <= 1 ? 1000 : 2000)
    return () => {
      window.clearInterval(t)
      window.removeEventListener('pointerdown', resume)
    }
  }, [on, level])
}
