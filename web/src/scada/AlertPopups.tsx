import { useState } from 'react'
import { errorText, post } from './api'
import { useCan, useFeed } from './context'
import { fmtTime } from './format'

// Pop-ups from feed `alert`. A confirm_cancel alert is answered once for everyone: when anyone
// answers, the server closes it and it leaves every screen.
export function AlertPopups() {
  const { items } = useFeed('alert')
  const canAnswer = useCan('alert_feedback')
  const [hidden, setHidden] = useState<Set<string>>(new Set())
  const [error, setError] = useState<Record<string, string>>({})
  const now = Date.now()
  const open = items
    .filter((a) => a.state === 'open' && !hidden.has(String(a.id)))
    .filter((a) => typeof a.expires !== 'string' || Date.parse(a.expires) > now)
    .sort((a, b) => String(b.created ?? '').localeCompare(String(a.created ?? '')))
  if (!open.length) return null
  return (
    <div className="alerts" aria-live="assertive">
      {open.length > 1 && <div className="alert-more">+{open.length - 1} more alerts</div>}
      {open.slice(0, 1).map((a) => {
        const id = String(a.id)
        const answer = (confirm: boolean) =>
          post(`/api/alerts/${encodeURIComponent(id)}/feedback`, { confirm }).then(
            () => setHidden(new Set(hidden).add(id)),
            (e) => setError({ ...error, [id]: errorText(e) }),
          )
        return (
          <div className="alert-popup" role="alertdialog" aria-label="Alert" key={id} data-alert-id={id}>
            <div className="alert-head">
              <b>{String(a.source ?? 'Alert')}</b> <span className="muted">{fmtTime(a.created)}</span>
            </div>
            <p>{String(a.message ?? '')}</p>
            {a.command_datapoint ? (
              <p className="muted">
                Confirm sends {String(a.command_value)} to {String(a.command_datapoint)}
              </p>
            ) : null}
            {error[id] && <p className="error">{error[id]}</p>}
            <div className="row">
              {a.type === 'confirm_cancel' ? (
                <>
                  <button type="button" className="primary" disabled={!canAnswer} onClick={() => void answer(true)}>
                    Confirm
                  </button>
                  <button type="button" disabled={!canAnswer} onClick={() => void answer(false)}>
                    Cancel
                  </button>
                </>
              ) : (
                <button type="button" onClick={() => setHidden(new Set(hidden).add(id))}>
                  Close
                </button>
              )}
              <button type="button" title="Hide on this screen; it stays open for others" onClick={() => setHidden(new Set(hidden).add(id))}>
                Later
              </button>
              {a.expires ? <span className="muted">expires {fmtTime(a.expires)}</span> : null}
            </div>
          </div>
        )
      })}
    </div>
  )
}
