// REST calls to weir: same origin, session cookie (HttpOnly, SameSite=Strict), JSON in and out.
// A 401 on anything but the auth routes means the session expired: the app goes back to the
// login page and keeps the URL, so the operator lands on the same view after logging in again.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export const SESSION_EXPIRED = 'weir:session-expired'

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body = init.body
  if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(init.json)
  }
  const res = await fetch(path, {
    ...init,
    body,
    headers,
    credentials: 'same-origin',
    method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
  })
  const text = await res.text()
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error
    if (res.status === 401 && !path.startsWith('/api/auth/')) {
      window.dispatchEvent(new Event(SESSION_EXPIRED))
    }
    throw new ApiError(res.status, err?.code ?? String(res.status), err?.message ?? res.statusText)
  }
  return data as T
}

export const post = <T>(path: string, json: unknown = {}) => api<T>(path, { method: 'POST', json })

export interface Me {
  user: string
  groups: string[]
  permissions: string[]
  apps: string[]
  password_change_required: boolean
}

// A feature whose module is not loaded: no such route (404) or not for this method.
export function isAbsent(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405 || e.code === 'not_found' || e.code === 'method_not_allowed')
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.status})`
  if (e instanceof Error) return e.message
  return String(e)
}
