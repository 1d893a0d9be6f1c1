import { useEffect, useMemo, useState, type ReactNode } from 'react'
import { api, SESSION_EXPIRED, type Me } from './api'
import { Ctx, useApp, useLive } from './context'
import { FEEDS, LiveSocket } from './live'
import { AlarmBanner } from './AlarmBanner'
import { AlertPopups } from './AlertPopups'
import { Overview } from './views/Overview'
import { Alarms } from './views/Alarms'
import { Datapoints } from './views/Datapoints'
import { Commands } from './views/Commands'
import { Communications } from './views/Communications'
import { Devices } from './views/Devices'
import { Graphics } from './views/Graphics'
import { Tracking } from './views/Tracking'
import { Streams } from './views/Streams'
import { MapView } from './views/MapView'
import { Trends } from './views/Trends'

interface View {
  path: string
  title: string
  render: () => ReactNode
}

const VIEWS: View[] = [
  { path: 'overview', title: 'Overview', render: () => <Overview /> },
  { path: 'graphics', title: 'Process', render: () => <Graphics /> },
  { path: 'alarms', title: 'Alarms', render: () => <Alarms /> },
  { path: 'datapoints', title: 'Datapoints', render: () => <Datapoints /> },
  { path: 'commands', title: 'Commands', render: () => <Commands /> },
  { path: 'communications', title: 'Communications', render: () => <Communications /> },
  { path: 'devices', title: 'Devices', render: () => <Devices /> },
  { path: 'trends', title: 'Trends', render: () => <Trends /> },
  { path: 'map', title: 'Map', render: () => <MapView /> },
  { path: 'streams', title: 'Streams', render: () => <Streams /> },
  { path: 'tracking', title: 'Tracking', render: () => <Tracking /> },
]

// The Python platform's tab names (GET /api/frontend/tabs) -> our views.
const TAB_NAMES: Record<string, string> = {
  main: 'overview', overview: 'overview', dashboard: 'overview',
  image: 'graphics', images: 'graphics', graphics: 'graphics', process: 'graphics', svg: 'graphics',
  datapoints: 'datapoints', communications: 'communications', drivers: 'communications',
  alarms: 'alarms', commands: 'commands', tracking: 'tracking', streams: 'streams',
  devices: 'devices', map: 'map', gis: 'map', trends: 'trends', history: 'trends',
}

const BASE = '/scada/'

function currentView(): string {
  const rest = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : ''
  return rest.split('/')[0] || 'overview'
}

export function Shell({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const live = useMemo(() => new LiveSocket(FEEDS), [])
  const [view, setView] = useState(currentView)
  const [tabs, setTabs] = useState<string[]>(['overview', 'graphics', 'alarms', 'datapoints'])

  useEffect(() => {
    live.start()
    // A session can end while only the live feed is in use: check it now and then.
    const check = window.setInterval(() => {
      fetch('/api/auth/me', { credentials: 'same-origin' }).then(
        (r) => {
          if (r.status === 401) window.dispatchEvent(new Event(SESSION_EXPIRED))
        },
        () => undefined,
      )
    }, 30000)
    return () => {
      window.clearInterval(check)
      live.stop()
    }
  }, [live])

  useEffect(() => {
    api<{ tabs: string[] }>('/api/frontend/tabs')
      .then((r) => {
        const mapped = r.tabs.map((t) => TAB_NAMES[t.toLowerCase()]).filter((t): t is string => !!t)
        // Views the tab list does not name stay one click away: trends and the map.
        for (const extra of ['alarms', 'trends', 'map']) if (!mapped.includes(extra)) mapped.push(extra)
        setTabs([...new Set(mapped)])
      })
      .catch(() => setTabs(VIEWS.map((v) => v.path)))
  }, [])

  useEffect(() => {
    const pop = () => setView(currentView())
    window.addEventListener('popstate', pop)
    return () => window.removeEventListener('popstate', pop)
  }, [])

  const navigate = (path: string) => {
    history.pushState(null, '', BASE + path)
    setView(currentView())
  }
  const active = VIEWS.find((v) => v.path === view) ?? VIEWS[0]
  useEffect(() => {
    document.title = `${active.title} — Weir`
  }, [active])

  return (
    <Ctx.Provider value={{ live, me, navigate }}>
      <div className="shell">
        <header className="topbar">
          <span className="brand">Weir</span>
          <nav className="tabs" aria-label="Views">
            {tabs.map((t) => {
              const v = VIEWS.find((x) => x.path === t)!
              return (
                <a
                  key={t}
                  href={BASE + t}
                  aria-current={t === active.path ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault()
                    navigate(t)
                  }}
                >
                  {v.title}
                </a>
              )
            })}
          </nav>
          <ConnectionBadge />
          <UserMenu onLogout={onLogout} />
        </header>
        <AlarmBanner />
        <StaleNotice />
        <main className="view" data-view={active.path}>
          {active.render()}
        </main>
        <AlertPopups />
      </div>
    </Ctx.Provider>
  )
}

function ConnectionBadge() {
  const live = useLive()
  const label = { online: 'Live', connecting: 'Connecting…', offline: 'Disconnected' }[live.conn]
  return (
    <span className={`conn conn-${live.conn}`} role="status" data-conn={live.conn} title="Live data connection">
      <span aria-hidden="true">{live.conn === 'online' ? '●' : live.conn === 'offline' ? '✕' : '◌'}</span> {label}
    </span>
  )
}

function StaleNotice() {
  const live = useLive()
  if (live.conn === 'online') return null
  if (live.conn === 'connecting' && Date.now() - live.since < 1500 && live.feed('datapoint').status === 'pending') return null
  return (
    <div className="stale-notice" role="alert">
      ⚠ Live data disconnected since {new Date(live.since).toLocaleTimeString(undefined, { hour12: false })} — values shown are
      stale. Reconnecting…
    </div>
  )
}

function UserMenu({ onLogout }: { onLogout: () => void }) {
  const { me } = useApp()
  const [open, setOpen] = useState(false)
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? 'light')
  const toggleTheme = () => {
    const t = theme === 'dark' ? 'light' : 'dark'
    document.documentElement.dataset.theme = t
    localStorage.setItem('weir.theme', t)
    setTheme(t)
  }
  return (
    <div className="usermenu">
      <button type="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        {me.user} ▾
      </button>
      {open && (
        <div className="menu" role="menu">
          <div className="menu-info">Groups: {me.groups.join(', ') || '—'}</div>
          <button type="button" role="menuitem" onClick={toggleTheme}>
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
          <a role="menuitem" href="/api/docs/">
            API docs
          </a>
          <button
            type="button"
            role="menuitem"
            onClick={() => {
              void api('/api/auth/logout', { method: 'POST' }).finally(onLogout)
            }}
          >
            Log out
          </button>
        </div>
      )}
    </div>
  )
}
