// SVG layouts: the process images with their bindings (unknown datapoints marked), an upload
// (sanitised and versioned by the server; replacing sends If-Match), delete, each layout's
// versions with revert, and the binding editor: a live preview drawn and animated by the operator
// app's own Graphics view (its SvgPanel: the `animation` feed, or the datapoints' values as
// text), where clicking an element picks it to bind to a datapoint and an animation; the edited
// SVG is saved through the same versioned PUT /api/svg/{name}. The layout's unbound controls and
// animations and its bindings to unknown datapoints or animations are listed.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { call, type VersionInfo } from '../editor-common/http'
import type { Me } from '../scada/api'
import { Ctx } from '../scada/context'
import { LiveSocket } from '../scada/live'
import { Graphics } from '../scada/views/Graphics'
import { bindElement, bindingsOf, elementAt, indexPath, parseSvg, problemsOf, type BindingContext } from './svgBindings'

interface Binding {
  element: string
  datapoint: string
  animation: string
}
interface SvgFile {
  name: string
  url: string
  bytes: number
  removed_elements: number
  removed_attributes: number
  bindings: Binding[]
  commands: { element: string; datapoint: string; value: string }[]
}

async function currentVersion(name: string): Promise<string> {
  const r = await call<{ current: string }>(`/api/svg/${encodeURIComponent(name)}/versions`)
  return r.ok ? r.body.current : ''
}

interface Picked {
  path: number[]
  id: string
  tag: string
  datapoint: string
  animation: string
}

export function SvgLayouts({ me, ids: idList, animations, drivers, readOnly }: { me: Me; ids: string[]; animations: Record<string, unknown>; drivers: string[]; readOnly: boolean }) {
  const [files, setFiles] = useState<SvgFile[]>([])
  const [warnings, setWarnings] = useState<string[]>([])
  const ids = useMemo(() => new Set(idList), [idList])
  const [selected, setSelected] = useState('')
  const [versions, setVersions] = useState<{ current: string; items: VersionInfo[] } | null>(null)
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null)
  const [stamp, setStamp] = useState(0)

  const load = useCallback(async () => {
    const r = await call<{ items: SvgFile[]; warnings: string[] }>('/api/svg')
    if (r.ok) {
      setFiles(r.body.items)
      setWarnings(r.body.warnings)
    } else setMsg({ ok: false, text: r.error!.message })
    setStamp(Date.now())
  }, [])
  useEffect(() => {
    void load()
  }, [load])
  useEffect(() => {
    if (!selected) return setVersions(null)
    void call<{ current: string; items: VersionInfo[] }>(`/api/svg/${encodeURIComponent(selected)}/versions`).then((r) => setVersions(r.ok ? r.body : null))
  }, [selected, stamp])

  // The selected layout's text as served (= as stored) and the edited draft.
  const [saved, setSaved] = useState('')
  const [draft, setDraft] = useState('')
  const [picked, setPicked] = useState<Picked | null>(null)
  const fileUrl = files.find((f) => f.name === selected)?.url
  useEffect(() => {
    setPicked(null)
    if (!fileUrl) {
      setSaved('')
      setDraft('')
      return
    }
    let live = true
    void fetch(`${fileUrl}?v=${stamp}`, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.text() : ''))
      .then((t) => {
        if (!live) return
        setSaved(t)
        setDraft(t)
      })
    return () => {
      live = false
    }
  }, [fileUrl, stamp])
  const draftDoc = useMemo(() => (draft ? parseSvg(draft) : null), [draft])
  const bindings = useMemo(() => (draftDoc ? bindingsOf(draftDoc) : []), [draftDoc])
  const bindCtx: BindingContext = useMemo(() => ({ ids, animations, drivers: new Set(drivers) }), [ids, animations, drivers])
  const problems = useMemo(() => problemsOf(bindings, bindCtx), [bindings, bindCtx])
  const dirty = draft !== saved

  // The operator app's live feeds for the preview (its own socket, closed with the section).
  const live = useMemo(() => new LiveSocket(['animation', 'datapoint', 'command']), [])
  useEffect(() => {
    live.start()
    return () => live.stop()
  }, [live])

  // Clicking an element of the preview picks it (before the operator app's command handlers, so
  // no command can be sent from the editor's preview).
  const preview = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const box = preview.current
    if (!box) return
    const onClick = (e: MouseEvent) => {
      const host = (e.target as Element | null)?.closest?.('.svg-host')
      const svg = host?.querySelector('svg')
      if (!host || !svg) return
      e.preventDefault()
      e.stopPropagation()
      // The nearest element with an id or a binding (a control is often a group of shapes);
      // with Alt, exactly the shape under the pointer (a <tspan> counts as its <text>).
      let el = e.target as Element
      const text = el.closest('text')
      if (text && svg.contains(text)) el = text
      const named = e.altKey ? null : el.closest('[id], [data-datapoint], [data-animation], [command-value]')
      if (named && named !== svg && svg.contains(named)) el = named
      if (el === svg || !svg.contains(el)) return
      const path = indexPath(svg, el)
      if (!path) return
      for (const old of svg.querySelectorAll('.svg-picked')) old.classList.remove('svg-picked')
      el.classList.add('svg-picked')
      const inDraft = draftDoc ? elementAt(draftDoc.documentElement, path) : null
      const src = inDraft ?? el
      setPicked({ path, id: src.getAttribute('id') ?? '', tag: src.localName, datapoint: src.getAttribute('data-datapoint') ?? '', animation: src.getAttribute('data-animation') ?? '' })
    }
    // Enter on a focused control would open the operator app's command dialog: it picks too.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Enter' || !(e.target as Element | null)?.closest?.('.svg-host')) return
      e.preventDefault()
      e.stopPropagation()
      ;(e.target as Element).dispatchEvent(new MouseEvent('click', { bubbles: true }))
    }
    box.addEventListener('click', onClick, true)
    box.addEventListener('keydown', onKey, true)
    return () => {
      box.removeEventListener('click', onClick, true)
      box.removeEventListener('keydown', onKey, true)
    }
  }, [draftDoc, selected])

  function applyBinding(p: Picked) {
    const r = bindElement(draft, p.path, p.datapoint, p.animation)
    if (!r) return setMsg({ ok: false, text: 'The element is no longer in the layout: pick it again.' })
    setDraft(r.text)
    setPicked({ ...p, id: r.id })
    setMsg({ ok: true, text: p.datapoint ? `${r.id} bound to ${p.datapoint}${p.animation ? ` (${p.animation})` : ''}: save the layout to apply it.` : `${r.id} unbound: save the layout to apply it.` })
  }

  async function saveDraft() {
    const r = await call<{ version: string; bindings: number }>(`/api/svg/${encodeURIComponent(selected)}`, {
      method: 'PUT',
      body: draft,
      contentType: 'image/svg+xml',
      ifMatch: await currentVersion(selected),
    })
    setMsg(r.ok ? { ok: true, text: `${selected} saved as version ${r.body.version}: ${r.body.bindings} bindings.` } : { ok: false, text: `${selected} refused (${r.status}): ${r.error!.message}` })
    if (r.ok) await load()
  }

  async function upload(file: File) {
    const name = file.name.toLowerCase().endsWith('.svg') ? file.name : file.name + '.svg'
    const exists = files.some((f) => f.name === name)
    if (exists && !confirm(`Replace ${name}?`)) return
    const r = await call<{ version: string; removed_elements: number; removed_attributes: number; bindings: number }>(`/api/svg/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: await file.text(),
      contentType: 'image/svg+xml',
      ifMatch: exists ? await currentVersion(name) : undefined,
    })
    setMsg(
      r.ok
        ? { ok: true, text: `${name} saved as version ${r.body.version}: ${r.body.bindings} bindings; sanitising removed ${r.body.removed_elements} elements and ${r.body.removed_attributes} attributes.` }
        : { ok: false, text: `${name} refused (${r.status}): ${r.error!.message}` },
    )
    setSelected(name)
    await load()
  }

  async function remove(name: string) {
    if (!confirm(`Delete ${name}? Its versions are kept.`)) return
    const r = await call(`/api/svg/${encodeURIComponent(name)}`, { method: 'DELETE', ifMatch: await currentVersion(name) })
    setMsg(r.ok ? { ok: true, text: `${name} deleted.` } : { ok: false, text: r.error!.message })
    await load()
  }

  async function revert(id: string) {
    const r = await call<{ version: string }>(`/api/svg/${encodeURIComponent(selected)}/versions/${id}/revert`, { method: 'POST', ifMatch: versions?.current || undefined })
    setMsg(r.ok ? { ok: true, text: `${selected}: version ${r.body.version} is current.` } : { ok: false, text: r.error!.message })
    await load()
  }

  const file = files.find((f) => f.name === selected)
  return (
    <div className="svg-layouts">
      <section className="panel" aria-label="SVG layouts">
        <header>
          <h2>SVG layouts</h2>
          {!readOnly && (
            <label className="button-like">
              Upload SVG…
              <input
                type="file"
                accept=".svg,image/svg+xml"
                hidden
                onChange={(e) => {
                  const f = e.target.files?.[0]
                  if (f) void upload(f)
                  e.target.value = ''
                }}
              />
            </label>
          )}
        </header>
        {msg && (
          <p className={msg.ok ? 'notice' : 'error'} role={msg.ok ? 'status' : 'alert'}>
            {msg.text}
          </p>
        )}
        {warnings.map((w) => (
          <p key={w} className="error small">
            {w}
          </p>
        ))}
        <table className="table compact">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Bytes</th>
              <th className="num">Bindings</th>
              <th>Unknown datapoints</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {files.map((f) => {
              // A driver name (connection animations, driver controls) is no datapoint id.
              const unknown = [...f.bindings.map((b) => b.datapoint), ...f.commands.map((c) => c.datapoint)].filter((d) => d && !ids.has(d) && !(!d.includes('@') && bindCtx.drivers.has(d)))
              return (
                <tr key={f.name} aria-selected={f.name === selected}>
                  <td>
                    <button type="button" className="link" onClick={() => (f.name === selected || !dirty || confirm(`Drop the unsaved bindings of ${selected}?`)) && setSelected(f.name)}>
                      {f.name}
                    </button>
                  </td>
                  <td className="num">{f.bytes}</td>
                  <td className="num">{f.bindings.length + f.commands.length}</td>
                  <td className={unknown.length ? 'error' : 'muted'}>{unknown.length ? [...new Set(unknown)].join(', ') : 'none'}</td>
                  <td className="actions">
                    {!readOnly && (
                      <button type="button" onClick={() => void remove(f.name)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </section>
      {selected && (
        <div className="grid svg-detail">
          <section className="panel" aria-label="Preview">
            <header>
              <h2>{selected}</h2>
              {dirty && <span className="tag dirty">unsaved bindings</span>}
              <span className="spacer" />
              {!readOnly && file && (
                <button type="button" className="primary" disabled={!dirty} onClick={() => void saveDraft()}>
                  Save layout
                </button>
              )}
            </header>
            {file ? (
              <>
                <p className="muted small">Live preview, animated as in the operator app. Click an element to bind it (Alt+click: exactly the shape under the pointer).</p>
                <Ctx.Provider value={{ live, me, navigate: () => undefined }}>
                  <div className="svg-bind-preview" ref={preview} data-selected={selected}>
                    <style>{`.svg-bind-preview .svg-panel:not([data-svg="${selected.replace(/["\\]/g, '')}"]) { display: none }`}</style>
                    <Graphics key={stamp} />
                  </div>
                </Ctx.Provider>
              </>
            ) : (
              <p className="muted">Deleted: revert a version to bring it back.</p>
            )}
            {file && picked && (
              <BindForm
                key={picked.path.join('.')}
                picked={picked}
                ids={idList}
                animations={Object.keys(animations).sort()}
                readOnly={readOnly}
                onBind={applyBinding}
                onCancel={() => setPicked(null)}
              />
            )}
            {file && (
              <section className="binding-problems" aria-label="Binding problems">
                <h3>Unbound and unknown</h3>
                {problems.length ? (
                  <ul className="plain">
                    {problems.map((p, n) => (
                      <li key={n} className="error" data-kind={p.kind} data-element={p.element}>
                        <span className="mono">{p.element}</span>: {p.message}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="muted">Every control and animation is bound to a known datapoint and animation.</p>
                )}
              </section>
            )}
            {file && (
              <table className="table compact svg-bindings">
                <thead>
                  <tr>
                    <th>Element</th>
                    <th>Datapoint</th>
                    <th>Animation / command</th>
                  </tr>
                </thead>
                <tbody>
                  {bindings.map((b, n) => (
                    <tr key={n} data-element={b.element}>
                      <td className="mono">{b.element || `(${b.tag})`}</td>
                      <td className={'mono' + (problems.some((p) => p.element === b.element && p.kind === 'unknown_datapoint') ? ' error' : '')}>{b.datapoint}</td>
                      <td>{[b.animation, b.command && `command ${b.command}`].filter(Boolean).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="panel" aria-label="Layout versions">
            <header>
              <h2>Versions</h2>
            </header>
            <table className="table compact">
              <tbody>
                {(versions?.items ?? []).map((v) => (
                  <tr key={v.id}>
                    <td className="mono">
                      {v.id} {v.id === versions?.current && <span className="tag">current</span>}
                    </td>
                    <td>{v.time.replace('T', ' ').replace(/\.\d+Z?$/, '')}</td>
                    <td>{v.author}</td>
                    <td>{v.action}</td>
                    <td className="actions">
                      {!readOnly && v.id !== versions?.current && (
                        <button type="button" onClick={() => void revert(v.id)}>
                          Revert
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      )}
    </div>
  )
}

// The picked element's binding: a datapoint id (completed from the running ones) and an animation
// of the configuration; "Bind" sets the attributes in the draft, "Unbind" clears them.
function BindForm({ picked, ids, animations, readOnly, onBind, onCancel }: { picked: Picked; ids: string[]; animations: string[]; readOnly: boolean; onBind: (p: Picked) => void; onCancel: () => void }) {
  const [datapoint, setDatapoint] = useState(picked.datapoint)
  const [animation, setAnimation] = useState(picked.animation)
  return (
    <form
      className="bind-form"
      aria-label="Bind element"
      onSubmit={(e) => {
        e.preventDefault()
        onBind({ ...picked, datapoint, animation })
      }}
    >
      <span>
        <b className="mono">{picked.id || `a ${picked.tag}`}</b> <span className="muted">({picked.tag}{picked.id ? '' : ', gets an id'})</span>
      </span>
      <label>
        Datapoint
        <input aria-label="bind datapoint" list="svg-bind-ids" value={datapoint} onChange={(e) => setDatapoint(e.target.value)} placeholder="Driver@TAG" disabled={readOnly} />
      </label>
      <datalist id="svg-bind-ids">
        {ids.map((id) => (
          <option key={id} value={id} />
        ))}
      </datalist>
      <label>
        Animation
        <select aria-label="bind animation" value={animation} onChange={(e) => setAnimation(e.target.value)} disabled={readOnly}>
          <option value="">(none)</option>
          {animation && !animations.includes(animation) && <option value={animation}>{animation} (unknown)</option>}
          {animations.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" disabled={readOnly || !datapoint.trim()}>
        Bind
      </button>
      {(picked.datapoint || picked.animation) && (
        <button type="button" disabled={readOnly} onClick={() => onBind({ ...picked, datapoint: '', animation: '' })}>
          Unbind
        </button>
      )}
      <button type="button" onClick={onCancel}>
        Close
      </button>
    </form>
  )
}
