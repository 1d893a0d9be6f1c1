import { useEffect, useRef, useState } from 'react'
import { api, errorText, post } from '../api'
import { useApp, useFeed, useLive } from '../context'
import { fmtValue } from '../format'
import type { Item } from '../live'
import { NotAvailable } from '../ui'

interface SvgCommand {
  element: string
  datapoint: string
  value: unknown
  allowed: boolean
}
interface SvgEntry {
  name: string
  url: string
  bindings: { element: string; datapoint: string; animation: string }[]
  commands: SvgCommand[]
}
type Pending = { element: string; label: string; status: string; id?: string; at: number }

const COMMAND_TIMEOUT_MS = 10000

export function Graphics() {
  const [list, setList] = useState<SvgEntry[] | null>(null)
  const [error, setError] = useState('')
  useEffect(() => {
    api<{ items: SvgEntry[] }>('/api/svg').then(
      (r) => setList(r.items),
      (e) => setError(errorText(e)),
    )
  }, [])
  if (error) return <NotAvailable what="Process graphics">{error}</NotAvailable>
  if (!list) return <p className="muted">Loading graphics…</p>
  if (!list.length) return <NotAvailable what="Process graphics">No SVG files are configured (config/svg/).</NotAvailable>
  return (
    <div className="graphics">
      {list.map((s) => (
        <SvgPanel key={s.name} entry={s} />
      ))}
    </div>
  )
}

function SvgPanel({ entry }: { entry: SvgEntry }) {
  const host = useRef<HTMLDivElement>(null)
  const [loaded, setLoaded] = useState(false)
  const [confirm, setConfirm] = useState<SvgCommand | null>(null)
  const [pending, setPending] = useState<Pending[]>([])
  const anim = useFeed('animation')
  const live = useLive()
  const commands = useFeed('command').items
  const { me } = useApp()
  const applied = useRef(new Map<string, Item>())

  // Load the (server-sanitised) SVG once and wire its clickable elements.
  useEffect(() => {
    let gone = false
    fetch(entry.url, { credentials: 'same-origin' })
      .then((r) => r.text())
      .then((text) => {
        if (gone || !host.current) return
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml')
        const svg = doc.documentElement
        if (svg.nodeName !== 'svg') return
        svg.removeAttribute('width')
        svg.removeAttribute('height')
        host.current.replaceChildren(document.importNode(svg, true))
        for (const c of entry.commands) {
          const el = host.current.querySelector<SVGElement>(`[id="${CSS.escape(c.element)}"]`)
          if (!el) continue
          el.classList.add(c.allowed ? 'svg-clickable' : 'svg-disabled')
          el.setAttribute('role', 'button')
          el.setAttribute('tabindex', c.allowed ? '0' : '-1')
          el.setAttribute('aria-disabled', String(!c.allowed))
          el.setAttribute('aria-label', `${c.element}: send ${String(c.value)} to ${c.datapoint}`)
          const open = () => {
            if (c.allowed) setConfirm(c)
          }
          el.addEventListener('click', open)
          el.addEventListener('keydown', (e) => {
            if ((e as KeyboardEvent).key === 'Enter') open()
          })
        }
        applied.current.clear()
        setLoaded(true)
      })
    return () => {
      gone = true
    }
  }, [entry])

  // Server-computed animation changes: set attributes / text on the bound elements.
  useEffect(() => {
    if (!loaded || !host.current) return
    if (anim.status === 'live') {
      for (const it of anim.items) {
        if (it.svg !== entry.name) continue
        const key = String(it.element)
        if (applied.current.get(key) === it) continue
        applied.current.set(key, it)
        const el = host.current.querySelector<SVGElement>(`[id="${CSS.escape(key)}"]`)
        if (!el) continue
        const d = Number(it.duration ?? 0)
        el.style.transition = d > 0 ? `all ${d}s linear` : '' // duration in seconds
        const attrs = (it.attr ?? {}) as Record<string, unknown>
        for (const [k, v] of Object.entries(attrs)) {
          // A group's fill/stroke applies to its shapes.
          const targets = el.tagName === 'g' && (k === 'fill' || k === 'stroke') ? el.querySelectorAll('rect,circle,ellipse,path,polygon') : [el]
          for (const t of targets) t.setAttribute(k, String(v))
        }
        if (it.text !== undefined && it.text !== null) el.textContent = String(it.text)
      }
    } else {
      // No animation feed on this server: at least show the bound values as text.
      const dps = live.feed('datapoint').items
      for (const b of entry.bindings) {
        const el = host.current.querySelector(`[id="${CSS.escape(b.element)}"]`)
        if (el && el.tagName === 'text') el.textContent = fmtValue(dps.get(b.datapoint)?.value)
      }
    }
  })

  // Command feedback: pending -> ok / nok (status from the command feed) or timeout.
  useEffect(() => {
    const now = Date.now()
    let changed = false
    const next = pending.map((p) => {
      if (p.status !== 'pending') return p
      const fb = commands.find((c) => c.command_id === p.id)
      if (fb && fb.status !== 'pending' && fb.status !== 'sent') {
        changed = true
        return { ...p, status: fb.status === 'ok' ? 'ok' : `nok: ${String(fb.reason ?? fb.status)}` }
      }
      if (now - p.at > COMMAND_TIMEOUT_MS) {
        changed = true
        return { ...p, status: 'timeout' }
      }
      return p
    })
    if (changed) setPending(next)
  }, [commands, pending])
  useEffect(() => {
    if (!pending.some((p) => p.status === 'pending')) return
    const t = window.setTimeout(() => setPending((ps) => [...ps]), 1000)
    return () => window.clearTimeout(t)
  }, [pending])

  const send = (c: SvgCommand) => {
    setConfirm(null)
    const label = `${c.element}: ${String(c.value)} → ${c.datapoint}`
    const at = Date.now()
    setPending((ps) => [{ element: c.element, label, status: 'pending', at }, ...ps].slice(0, 5))
    post<{ command_id?: string; status?: string; reason?: string }>('/api/commands', { datapoint: c.datapoint, value: c.value }).then(
      (r) =>
        setPending((ps) =>
          ps.map((p) =>
            p.at === at
              ? { ...p, id: r.command_id, status: r.status === 'ok' ? 'ok' : r.status === 'pending' || r.status === 'sent' || !r.status ? 'pending' : `nok: ${r.reason ?? r.status}` }
              : p,
          ),
        ),
      (e) => setPending((ps) => ps.map((p) => (p.at === at ? { ...p, status: `nok: ${errorText(e)}` } : p))),
    )
  }

  return (
    <section className="panel svg-panel" data-svg={entry.name}>
      <header>
        <h2>{entry.name.replace(/^\d+\./, '').replace(/\.svg$/, '')}</h2>
        {anim.status !== 'live' && <span className="muted">live animation not available on this server</span>}
      </header>
      <div className={`svg-host ${live.conn !== 'online' ? 'stale' : ''}`} ref={host} />
      {!me.permissions.includes('send_command') && entry.commands.length > 0 && (
        <p className="muted">Controls are disabled: you may not send commands.</p>
      )}
      <ul className="plain cmd-status" aria-live="polite">
        {pending.map((p) => (
          <li key={p.at} className={`cmd-${p.status.split(':')[0]}`} data-status={p.status.split(':')[0]}>
            <span aria-hidden="true">{p.status === 'ok' ? '✓' : p.status === 'pending' ? '…' : '✕'}</span> {p.label} — {p.status}
          </li>
        ))}
      </ul>
      {confirm && (
        <div className="dialog" role="dialog" aria-label="Confirm command">
          <p>
            Send <b>{String(confirm.value)}</b> to <b>{confirm.datapoint}</b>?
          </p>
          <button className="primary" onClick={() => send(confirm)}>
            Send
          </button>
          <button onClick={() => setConfirm(null)}>Cancel</button>
        </div>
      )}
    </section>
  )
}
