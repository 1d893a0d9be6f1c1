// REST calls of the editors: like the operator app's api() (same origin, session cookie), but the
// answer keeps its status, its ETag and its whole error body (a 409 carries the diff, a 422 the
// issues with their JSON paths).
import { SESSION_EXPIRED } from '../scada/api'

export interface Answer<T = unknown> {
  ok: boolean
  status: number
  etag: string
  body: T
  error?: { code: string; message: string; field?: string }
}

export async function call<T = unknown>(path: string, opts: { method?: string; json?: unknown; body?: BodyInit; contentType?: string; ifMatch?: string } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body = opts.body
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.json)
  } else if (opts.contentType) headers['Content-Type'] = opts.contentType
  if (opts.ifMatch) headers['If-Match'] = `"${opts.ifMatch}"`
  const res = await fetch(path, { method: opts.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body, credentials: 'same-origin' })
  const text = await res.text()
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (res.status === 401 && !path.startsWith('/api/auth/')) window.dispatchEvent(new Event(SESSION_EXPIRED))
  const err = (data as { error?: Answer['error'] } | null)?.error
  return {
    ok: res.ok,
    status: res.status,
    etag: (res.headers.get('ETag') ?? '').replace(/^W\//, '').replace(/"/g, ''),
    body: data as T,
    error: res.ok ? undefined : { code: err?.code ?? String(res.status), message: err?.message ?? res.statusText, field: err?.field },
  }
}

export interface VersionInfo {
  id: string
  seq: number
  author: string
  time: string
  action: string
  note: string
  bytes: number
}
export interface JsonChange {
  path: string
  op: 'added' | 'removed' | 'changed'
  from?: unknown
  to?: unknown
}
export interface JsonDiff {
  changes: JsonChange[]
  truncated: boolean
}
export interface SectionChanges {
  section: string
  added: string[]
  removed: string[]
  changed: string[]
}
export interface Issue {
  file: string
  path: string
  message: string
  error: boolean
}
