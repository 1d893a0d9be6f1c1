// Display helpers: times in the operator's local time with seconds, values with their unit,
// quality as text + a symbol (never colour alone).

// One formatter each, made once: toLocaleTimeString(…, options) builds a new Intl formatter per
// call, which made the time columns the most expensive thing in a scrolling table.
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
const DATE = new Intl.DateTimeFormat(undefined)
let dayStart = 0 // local midnight of today, refreshed when a time falls outside today
let dayEnd = 0

export function fmtTime(iso: unknown): string {
  if (typeof iso !== 'string' || !iso) return '—'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  if (t < dayStart || t >= dayEnd) {
    const today = new Date()
    today.setHours(0, 0, 0, 0)
    dayStart = today.getTime()
    today.setDate(today.getDate() + 1)
    dayEnd = today.getTime()
  }
  const time = TIME.format(t)
  return t >= dayStart && t < dayEnd ? time : `${DATE.format(t)} ${time}`
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
