// Display helpers: times in the operator's local time with seconds, values with their unit,
// quality as text + a symbol (never colour alone).

export function fmtTime(iso: unknown): string {
  if (typeof iso !== 'string' || !iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const today = new Date()
  const time = d.toLocaleTimeString(undefined, { hour12: false })
  return d.toDateString() === today.toDateString() ? time : `${d.toLocaleDateString()} ${time}`
}

export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1)
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

export const QUALITY: Record<string, { icon: string; label: string }> = {
  good: { icon: '●', label: 'good' },
  uncertain: { icon: '◐', label: 'uncertain' },
  bad: { icon: '✕', label: 'bad' },
}

export const PRIORITY: Record<number, { name: string; icon: string }> = {
  1: { name: 'critical', icon: '◆' },
  2: { name: 'high', icon: '▲' },
  3: { name: 'medium', icon: '■' },
  4: { name: 'low', icon: '●' },
}

export function priorityOf(a: { priority?: unknown; priority_name?: unknown }) {
  const p = typeof a.priority === 'number' ? a.priority : 3
  return { level: p, ...(PRIORITY[p] ?? { name: String(a.priority_name ?? p), icon: '■' }) }
}

// Unacknowledged: ACTIVE or INACTIVE (lowered, not yet acknowledged); ACK is acknowledged.
export const isUnacked = (state: unknown) => state === 'ACTIVE' || state === 'INACTIVE'
export const isStanding = (state: unknown) => state === 'ACTIVE' || state === 'ACK'
