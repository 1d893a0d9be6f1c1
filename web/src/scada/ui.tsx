import type { ReactNode } from 'react'
import { QUALITY } from './format'

export function Quality({ q }: { q: unknown }) {
  const s = String(q ?? 'unknown')
  const m = QUALITY[s] ?? { icon: '?', label: s }
  return (
    <span className={`quality q-${s}`}>
      <span aria-hidden="true">{m.icon}</span> {m.label}
    </span>
  )
}

export function Sparkline({ values, width = 120, height = 28 }: { values: number[]; width?: number; height?: number }) {
  if (values.length < 2) return <svg className="spark" width={width} height={height} aria-hidden="true" />
  const min = Math.min(...values)
  const max = Math.max(...values)
  const span = max - min || 1
  const pts = values
    .map((v, i) => `${((i / (values.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`)
    .join(' ')
  return (
    <svg className="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
      <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  )
}

export function NotAvailable({ what, children }: { what: string; children?: ReactNode }) {
  return (
    <div className="not-available" role="note">
      <b>{what} not available</b>
      <div>{children}</div>
    </div>
  )
}

export function Panel({ title, children, actions, className }: { title: ReactNode; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`panel ${className ?? ''}`}>
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  )
}

export function DriverState({ state }: { state: unknown }) {
  const s = String(state ?? 'unknown')
  const icon = s === 'online' ? '●' : s === 'offline' || s === 'error' ? '✕' : s === 'disabled' ? '○' : '◌'
  return (
    <span className={`dstate d-${s}`}>
      <span aria-hidden="true">{icon}</span> {s}
    </span>
  )
}
