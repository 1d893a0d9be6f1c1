import { useCallback, useEffect, useState } from 'react'
import { api, ApiError, SESSION_EXPIRED, type Me } from './api'
import { Login, PasswordChange } from './Login'
import { Shell } from './Shell'

// Session life cycle: ask /api/auth/me; no session -> login; a forced password change -> that
// form first; a 401 later (expiry) -> login again on the same URL.
export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined)
  const [notice, setNotice] = useState('')

  const refresh = useCallback(async () => {
    try {
      setMe(await api<Me>('/api/auth/me'))
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setMe(null)
      else setNotice('Weir is not answering. Retrying…')
    }
  }, [])

  useEffect(() => {
    void refresh()
  }, [refresh])

  useEffect(() => {
    const expired = () => {
      setNotice('Your session expired. Log in again to continue where you were.')
      setMe(null)
    }
    window.addEventListener(SESSION_EXPIRED, expired)
    return () => window.removeEventListener(SESSION_EXPIRED, expired)
  }, [])

  if (me === undefined) return <div className="boot">{notice || 'Loading…'}</div>
  if (me === null)
    return (
      <Login
        notice={notice}
        onLoggedIn={(m) => {
          setNotice('')
          setMe(m)
        }}
      />
    )
  if (me.password_change_required)
    return <PasswordChange me={me} onDone={() => void refresh()} onLogout={() => setMe(null)} />
  return (
    <Shell
      me={me}
      onLogout={() => {
        setNotice('')
        setMe(null)
      }}
    />
  )
}
