import { useEffect, useRef, useState } from 'react'
import { api, errorText, isAbsent } from '../api'
import { useFeed } from '../context'
import type { Item } from '../live'
import { NotAvailable, Panel } from '../ui'

export function Streams() {
  const [list, setList] = useState<Item[] | null>(null)
  const [absent, setAbsent] = useState('')
  const status = useFeed('stream')
  useEffect(() => {
    api<{ items: Item[] }>('/api/streams').then(
      (r) => setList(r.items),
      (e) => setAbsent(isAbsent(e) ? 'No stream module on this server.' : errorText(e)),
    )
  }, [])
  if (absent) return <NotAvailable what="Streams">{absent}</NotAvailable>
  if (!list) return <p className="muted">Loading streams…</p>
  if (!list.length) return <NotAvailable what="Streams">No streams are configured (streams[]).</NotAvailable>
  const focus = new URLSearchParams(location.search).get('stream')
  return (
    <div className="grid">
      {list.map((s) => {
        const st = status.items.find((x) => x.id === s.id) ?? s
        return <Player key={String(s.id)} stream={s} status={String(st.status ?? st.state ?? 'unknown')} focused={focus === s.id} />
      })}
    </div>
  )
}

export function Player({ stream, status, focused }: { stream: Item; status: string; focused?: boolean }) {
  const video = useRef<HTMLVideoElement>(null)
  const [error, setError] = useState('')
  const url = String(stream.url ?? '')
  const local = url.startsWith('/')
  useEffect(() => {
    const v = video.current
    if (!v || !url) return
    if (!local) {
      setError('This stream is on another host; the operator app only plays streams weir serves.')
      return
    }
    let destroy = () => {}
    // The browser's own HLS player when it has one (Debian's Chromium does), else hls.js (MSE);
    // ?player=hls.js asks for hls.js anyway (to compare, or where the native player misbehaves).
    const forceHlsJs = new URLSearchParams(location.search).get('player') === 'hls.js'
    if (!forceHlsJs && v.canPlayType('application/vnd.apple.mpegurl')) {
      v.dataset.player = 'native'
      v.src = url
    } else {
      v.dataset.player = 'hls.js'
      void import('hls.js/light').then(({ default: Hls }) => {
        if (!Hls.isSupported()) return setError('This browser cannot play HLS.')
        const hls = new Hls({ enableWorker: false })
        hls.on(Hls.Events.ERROR, (_e, d) => {
          if (d.fatal) setError(`Playback error: ${d.details}`)
        })
        hls.loadSource(url)
        hls.attachMedia(v)
        destroy = () => hls.destroy()
      })
    }
    return () => destroy()
  }, [url, local])
  const ok = status === 'reachable' || status === 'ok' || status === 'online'
  return (
    <Panel title={String(stream.description || stream.id)} className={`${focused ? 'focused' : ''} ${ok || status === 'unknown' ? '' : 'abnormal'}`}>
      <div className="muted">
        <span aria-hidden="true">{ok ? '●' : status === 'unknown' ? '◌' : '✕'}</span> {status} · {String(stream.id)}
      </div>
      <video ref={video} controls muted playsInline autoPlay className="player" data-stream={String(stream.id)} />
      {error && <p className="error">{error}</p>}
    </Panel>
  )
}
