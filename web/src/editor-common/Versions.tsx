// What every versioned file shares: a diff (named section changes + every JSON path), the version
// history with a diff between any two versions and one-click revert, and the conflict panel of a
// save that came second (409).
import { useCallback, useEffect, useState } from 'react'
import { call, type JsonDiff, type SectionChanges, type VersionInfo } from './http'

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v))

export function Changes({ changes }: { changes: SectionChanges[] }) {
  if (!changes.length) return <p className="muted">No named entries change.</p>
  return (
    <table className="table compact changes">
      <thead>
        <tr>
          <th>Section</th>
          <th>Added</th>
          <th>Removed</th>
          <th>Changed</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.section}>
            <td>{c.section}</td>
            <td className="diff-add">{c.added.join(', ')}</td>
            <td className="diff-del">{c.removed.join(', ')}</td>
            <td className="diff-chg">{c.changed.join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function DiffView({ diff }: { diff: JsonDiff }) {
  if (!diff.changes.length) return <p className="muted">Identical.</p>
  return (
    <div className="scroll-box diff-box">
      <table className="table compact diff" aria-label="JSON diff">
        <tbody>
          {diff.changes.map((c, i) => (
            <tr key={i} className={'diff-' + c.op}>
              <td className="mono">{c.op === 'added' ? '+' : c.op === 'removed' ? '−' : '~'}</td>
              <td className="mono">{c.path || '(document)'}</td>
              <td className="mono diff-del">{show(c.from)}</td>
              <td className="mono diff-add">{show(c.to)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {diff.truncated && <p className="muted">(more changes not shown)</p>}
    </div>
  )
}

export interface Conflict {
  version: string
  your_version: string
  message: string
  diff?: JsonDiff
  proposed_diff?: JsonDiff
}

export function ConflictPanel({ conflict, onReload, onOverwrite }: { conflict: Conflict; onReload: () => void; onOverwrite: () => void }) {
  return (
    <section className="panel conflict" role="alert" aria-label="Conflict">
      <header>
        <h2>⚠ Saved by someone else meanwhile</h2>
      </header>
      <div className="panel-body">
        <p>{conflict.message}</p>
        {conflict.diff && (
          <>
            <h3>What they changed (your version {conflict.your_version} → current {conflict.version})</h3>
            <DiffView diff={conflict.diff} />
          </>
        )}
        {conflict.proposed_diff && (
          <>
            <h3>What your save would change against the current version</h3>
            <DiffView diff={conflict.proposed_diff} />
          </>
        )}
        <div className="toolbar">
          <button type="button" className="primary" onClick={onReload}>
            Reload theirs (drop my edits)
          </button>
          <button type="button" onClick={onOverwrite}>
            Keep my edits on top of theirs
          </button>
        </div>
      </div>
    </section>
  )
}

interface VersionDiff {
  from: string
  to: string
  changes: SectionChanges[]
  diff: JsonDiff
}

// base: "/api/config" or "/api/security/config"
export function History({ base, onReverted }: { base: string; onReverted: () => void }) {
  const [list, setList] = useState<{ current: string; items: VersionInfo[] } | null>(null)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [diff, setDiff] = useState<VersionDiff | null>(null)
  const [msg, setMsg] = useState('')
  const load = useCallback(async () => {
    const r = await call<{ current: string; items: VersionInfo[] }>(base + '/versions')
    if (r.ok) {
      setList(r.body)
      if (r.body.items.length > 1) {
        setFrom(r.body.items[1].id)
        setTo(r.body.items[0].id)
      }
    } else setMsg(r.error!.message)
  }, [base])
  useEffect(() => {
    void load()
  }, [load])
  useEffect(() => {
    if (!from || !to) return setDiff(null)
    void call<VersionDiff>(`${base}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`).then((r) => setDiff(r.ok ? r.body : null))
  }, [base, from, to])

  async function revert(v: VersionInfo) {
    if (!list) return
    if (!confirm(`Revert to version ${v.id} (${v.time}, ${v.author})?`)) return
    const r = await call<{ version: string }>(`${base}/versions/${v.id}/revert`, { method: 'POST', ifMatch: list.current })
    setMsg(r.ok ? `Reverted: version ${r.body.version} is current.` : `Revert refused: ${r.error!.message}`)
    await load()
    if (r.ok) onReverted()
  }

  if (!list) return <p className="muted">{msg || 'Loading versions…'}</p>
  return (
    <div className="stack">
      <section className="panel" aria-label="Versions">
        <header>
          <h2>Versions</h2>
        </header>
        {msg && <p role="status" className="notice">{msg}</p>}
        <table className="table compact versions">
          <thead>
            <tr>
              <th>From</th>
              <th>To</th>
              <th>#</th>
              <th>Version</th>
              <th>Time (UTC)</th>
              <th>Author</th>
              <th>Action</th>
              <th>Note</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.items.map((v) => (
              <tr key={v.id} data-version={v.id}>
                <td>
                  <input type="radio" name="from" aria-label={`diff from ${v.id}`} checked={from === v.id} onChange={() => setFrom(v.id)} />
                </td>
                <td>
                  <input type="radio" name="to" aria-label={`diff to ${v.id}`} checked={to === v.id} onChange={() => setTo(v.id)} />
                </td>
                <td className="num">{v.seq}</td>
                <td className="mono">
                  {v.id} {v.id === list.current && <span className="tag">current</span>}
                </td>
                <td>{v.time.replace('T', ' ').replace(/\.\d+Z?$/, '')}</td>
                <td>{v.author}</td>
                <td>{v.action}</td>
                <td>{v.note}</td>
                <td className="actions">
                  {v.id !== list.current && (
                    <button type="button" onClick={() => void revert(v)}>
                      Revert to this
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {diff && (
        <section className="panel" aria-label="Diff between versions">
          <header>
            <h2>
              Diff {diff.from} → {diff.to}
            </h2>
          </header>
          <Changes changes={diff.changes} />
          <DiffView diff={diff.diff} />
        </section>
      )}
    </div>
  )
}
