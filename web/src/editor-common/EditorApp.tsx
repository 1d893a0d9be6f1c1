// The editors' session life cycle and frame, on the operator app's login flow and styles: ask
// /api/auth/me; no session (or no right to this app) -> the operator app's login form, for this
// app (web/src/scada/Login.tsx: one definition for every app); a forced password change -> its
// form; then the editor under a top bar (brand, sections, user).
import { useCallback, useEffect, useState, type ReactNode } from 'react'
import { api, ApiError, SESSION_EXPIRED, type Me } from '../scada/api'
import { Login, PasswordChange, type WebApp } from '../scada/Login'

export type AppName = Exclude<WebApp, 'scada'>

export interface Section {
  id: string
  title: string
}

export function EditorApp({ app, title, sections, render }: { app: AppName; title: string; sections: Section[]; render: (me: Me, section: string, go: (s: string) => void) => ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined)
  const [notice, setNotice] = useState('')
  const [section, setSection] = useState(() => location.hash.slice(1) || sections[0].id)
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? 'light')

  const refresh = useCallback(async () => {
    try {
      const m = await api<Me>('/api/auth/me')
      setMe(m.apps.includes(app) ? m : null)
      if (!m.apps.includes(app)) setNotice(`${m.user} may not use the ${title}.`)
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setMe(null)
      else setNotice('Weir is not answering.')
    }
  }, [app, title])
  useEffect(() => {
    void refresh()
  }, [refresh])
  useEffect(() => {
    const expired = () => {
      setNotice('Your session expired. Log in again to continue.')
      setMe(null)
    }
    window.addEventListener(SESSION_EXPIRED, expired)
    return () => window.removeEventListener(SESSION_EXPIRED, expired)
  }, [])
  useEffect(() => {
    const pop = () => setSection(location.hash.slice(1) || sections[0].id)
    window.addEventListener('hashchange', pop)
    return () => window.removeEventListener('hashchange', pop)
  }, [sections])
  useEffect(() => {
    document.title = `${sections.find((s) => s.id === section)?.title ?? ''} — Weir ${title}`
  }, [section, sections, title])

  if (me === undefined) return <div className="boot">{notice || 'Loading…'}</div>
  if (me === null)
    return (
      <Login
        app={app}
        title={title}
        notice={notice}
        onLoggedIn={(m) => {
          setNotice('')
          setMe(m)
        }}
      />
    )
  if (me.password_change_required) return <PasswordChange me={me} app={app} onDone={() => void refresh()} onLogout={() => setMe(null)} />
  const go = (s: string) => {
    location.hash = s
    setSection(s)
  }
  return (
    <div className="shell editor-shell">
      <header className="topbar">
        <span className="brand">Weir</span>
        <span className="editor-title">{title}</span>
        <nav className="tabs" aria-label="Sections">
          {sections.map((s) => (
            <a
              key={s.id}
              href={'#' + s.id}
              aria-current={s.id === section ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault()
                go(s.id)
              }}
            >
              {s.title}
            </a>
          ))}
        </nav>
        <span className="editor-user">
          <button
            type="button"
            className="link"
            title="Light or dark"
            onClick={() => {
              const t = theme === 'dark' ? 'light' : 'dark'
              document.documentElement.dataset.theme = t
              localStorage.setItem('weir.theme', t)
              setTheme(t)
            }}
          >
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
          <span className="muted">{me.user}</span>
          <button type="button" onClick={() => void api('/api/auth/logout', { method: 'POST' }).finally(() => setMe(null))}>
            Log out
          </button>
        </span>
      </header>
      <main className="view editor-view" data-section={section}>
        {render(me, section, go)}
      </main>
    </div>
  )
}
