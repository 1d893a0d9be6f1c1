import { SESSION_EXPIRED } from './api'

// One WebSocket per browser tab, multiplexing every live feed the app shows (weir's /ws: subscribe,
// snapshot, update). Reconnects with exponential back-off and jitter; each reconnect subscribes
// again and gets fresh snapshots. While disconnected the data is kept but marked stale.
// Listeners are told at most once per animation frame, so 1,000 updates/s cost one render each.

export type Item = Record<string, unknown>
export type ConnState = 'connecting' | 'online' | 'offline'

const KEY: Record<string, (i: Item) => string> = {
  datapoint: (i) => String(i.id),
  command: (i) => String(i.command_id),
  communication: (i) => String(i.name),
  alarm: (i) => String(i.rule_id),
  alert: (i) => String(i.id),
  devices: (i) => String(i.id),
  gis: (i) => String(i.id),
  stream: (i) => String(i.id),
  animation: (i) => `${String(i.svg)}#${String(i.element)}`,
  tracking: (i) => String(i.event_id ?? `${String(i.time)}:${Math.random()}`),
}
const APPEND_ONLY = new Set(['tracking'])
const MAX_APPEND = 500
const HISTORY_POINTS = 120 // per numeric datapoint, for sparklines

export interface FeedState {
  items: Map<string, Item>
  status: 'pending' | 'live' | 'unavailable' | 'forbidden'
  version: number // any change
  keys: number // the set of ids changed (a snapshot, an id added or removed)
}

type Listener = () => void
// Every numeric datapoint value as it arrives (not once per frame): id, value, its time in ms.
export type ValueListener = (id: string, value: number, ms: number) => void

export class LiveSocket {
  private ws: WebSocket | null = null
  private feeds = new Map<string, FeedState>()
  private listeners = new Set<Listener>()
  private valueListeners = new Set<ValueListener>()
  private frame = 0
  private retry = 0
  private timer: number | undefined
  private stopped = false
  conn: ConnState = 'connecting'
  since = Date.now() // of the current connection state
  version = 0
  readonly history = new Map<string, number[]>()
  updatesSeen = 0

  constructor(private readonly wanted: string[]) {
    for (const f of wanted) this.feeds.set(f, { items: new Map(), status: 'pending', version: 0, keys: 0 })
  }

  start() {
    this.stopped = false
    this.open()
  }

  stop() {
    this.stopped = true
    window.clearTimeout(this.timer)
    this.ws?.close()
    this.ws = null
  }

  feed(name: string): FeedState {
    let f = this.feeds.get(name)
    if (!f) {
      f = { items: new Map(), status: 'pending', version: 0, keys: 0 }
      this.feeds.set(name, f)
    }
    return f
  }

  subscribe(l: Listener) {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  onValue(l: ValueListener) {
    this.valueListeners.add(l)
    return () => this.valueListeners.delete(l)
  }

  // Called by the app when the server may have forgotten us (e.g. after a new login).
  reconnectNow() {
    this.retry = 0
    window.clearTimeout(this.timer)
    if (this.ws) this.ws.close()
    else this.open()
  }

  private notify() {
    this.version++
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      for (const l of this.listeners) l()
    })
  }

  private setConn(c: ConnState) {
    if (c !== this.conn) {
      this.conn = c
      this.since = Date.now()
    }
    this.notify()
  }

  private open() {
    if (this.stopped) return
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
    const ws = new WebSocket(url)
    this.ws = ws
    if (this.conn !== 'offline') this.setConn('connecting')
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'subscribe', feeds: this.wanted }))
    }
    ws.onmessage = (ev) => this.onMessage(String(ev.data))
    ws.onclose = () => {
      if (this.ws !== ws) return
      this.ws = null
      this.setConn('offline')
      if (this.stopped) return
      // Refused because the session ended (expired, logged out elsewhere)? Then back to login.
      void fetch('/api/auth/me', { credentials: 'same-origin' }).then(
        (r) => {
          if (r.status === 401) window.dispatchEvent(new Event(SESSION_EXPIRED))
        },
        () => undefined,
      )
      const base = Math.min(15000, 500 * 2 ** this.retry)
      this.retry++
      this.timer = window.setTimeout(() => this.open(), base / 2 + Math.random() * (base / 2))
    }
  }

  private onMessage(text: string) {
    let m: { type?: string; feed?: string; feeds?: string[]; items?: Item[]; error?: { code?: string; message?: string } }
    try {
      m = JSON.parse(text)
    } catch {
      return
    }
    switch (m.type) {
      case 'subscribed':
        this.retry = 0
        this.setConn('online')
        break
      case 'snapshot': {
        const f = this.feed(m.feed ?? '')
        const key = KEY[m.feed ?? ''] ?? ((i: Item) => String(i.id))
        f.items = new Map()
        for (const it of m.items ?? []) f.items.set(key(it), it)
        f.status = 'live'
        f.version++
        f.keys++
        if (m.feed === 'datapoint') for (const it of m.items ?? []) this.record(it)
        this.notify()
        break
      }
      case 'update': {
        const name = m.feed ?? ''
        const f = this.feed(name)
        const key = KEY[name] ?? ((i: Item) => String(i.id))
        for (const it of m.items ?? []) {
          const k = key(it)
          if (APPEND_ONLY.has(name)) {
            f.items.set(k, it)
            if (f.items.size > MAX_APPEND) f.items.delete(f.items.keys().next().value as string)
            f.keys++
          } else {
            const old = f.items.get(k)
            f.items.set(k, old ? { ...old, ...it } : it)
            if (!old) f.keys++
          }
          if (name === 'datapoint') this.record(it)
        }
        this.updatesSeen += m.items?.length ?? 0
        f.status = 'live'
        f.version++
        this.notify()
        break
      }
      case 'error': {
        const msg = m.error?.message ?? ''
        const match = /feed "([^"]+)"/.exec(msg)
        if (match) {
          this.feed(match[1]).status = m.error?.code === 'unknown_feed' ? 'unavailable' : 'forbidden'
          this.notify()
        }
        break
      }
      case 'overflow':
        // The server dropped us for being slow: the close handler reconnects and resnapshots.
        break
    }
  }

  private record(it: Item) {
    const v = it.value
    if (typeof v !== 'number' || !Number.isFinite(v)) return
    const id = String(it.id)
    if (this.valueListeners.size) {
      const ms = Date.parse(String(it.source_time ?? it.server_time ?? ''))
      for (const l of this.valueListeners) l(id, v, Number.isFinite(ms) ? ms : Date.now())
    }
    let h = this.history.get(id)
    if (!h) this.history.set(id, (h = []))
    h.push(v)
    if (h.length > HISTORY_POINTS) h.splice(0, h.length - HISTORY_POINTS)
  }
}

export const FEEDS = [
  'datapoint', 'command', 'communication', 'alarm', 'alert', 'devices',
  'animation', 'gis', 'stream', 'tracking',
]
