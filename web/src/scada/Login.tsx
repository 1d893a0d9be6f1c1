// The login and forced password-change forms of every web app: the operator app and the editors
// (web/src/editor-common/EditorApp.tsx) open their session with these, each for its own app.
import { useState, type FormEvent } from 'react'
import { api, errorText, post, type Me } from './api'

// The web apps a session is opened for (users[].allowed_apps).
export type WebApp = 'scada' | 'config_editor' | 'security_editor'

export function Login({
  notice,
  onLoggedIn,
  title = 'operator',
  app = 'scada',
}: {
  notice: string
  onLoggedIn: (me: Me) => void
  title?: string
  app?: WebApp
}) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      const r = await post<Me>('/api/auth/login', { username, password, app })
      setPassword('')
      onLoggedIn(r)
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-label="Log in">
        <h1>
          <span className="brand">Weir</span> {title}
        </h1>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label>
          User name
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  )
}

export function PasswordChange({ me, onDone, onLogout, app = 'scada' }: { me: Me; onDone: () => void; onLogout: () => void; app?: WebApp }) {
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const [error, setError] = useState('')

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (next !== again) return setError('The two new passwords differ.')
    try {
      await post('/api/auth/password', { current_password: current, new_password: next })
      // The change may end every session of the user: log in again with the new password.
      await post('/api/auth/login', { username: me.user, password: next, app }).catch(() => undefined)
      onDone()
    } catch (err) {
      setError(errorText(err))
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-label="Change password">
        <h1>Choose a new password</h1>
        <p>
          The password of <b>{me.user}</b> must be changed before you continue.
        </p>
        <label>
          Current password
          <input type="password" name="current" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label>
          New password
          <input type="password" name="new" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <label>
          New password again
          <input type="password" name="again" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary">Change password</button>
        <button
          type="button"
          onClick={() => {
            void api('/api/auth/logout', { method: 'POST' }).finally(onLogout)
          }}
        >
          Log out
        </button>
      </form>
    </main>
  )
}
