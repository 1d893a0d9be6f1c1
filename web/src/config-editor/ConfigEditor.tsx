// The config editor: system_config.json as schema-generated forms by section, or as raw JSON;
// checked by the server as you edit (the dry run's issues shown at their fields), "what would
// change" before saving, saved with If-Match (a 409 shows what the other save changed and offers
// reload or merge), and the version history with diffs and revert.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { call, type Issue, type JsonDiff, type SectionChanges } from '../editor-common/http'
import { defaultOf, resolve, SchemaField, type FormContext, type Json, type Schema } from '../editor-common/SchemaForm'
import { Changes, ConflictPanel, DiffView, History, type Conflict } from '../editor-common/Versions'
import { merge } from '../editor-common/merge'
import { ExpressionInput } from './ExpressionInput'
import { SvgLayouts } from './SvgLayouts'
import type { Me } from '../scada/api'

export const SECTIONS = [
  { id: 'drivers', title: 'Drivers' },
  { id: 'datapoints', title: 'Datapoints' },
  { id: 'command_datapoints', title: 'Commands' },
  { id: 'dp_types', title: 'Types' },
  { id: 'rules', title: 'Rules' },
  { id: 'schedules', title: 'Schedules' },
  { id: 'animations', title: 'Animations' },
  { id: 'gis_icons', title: 'GIS icons' },
  { id: 'streams', title: 'Streams' },
  { id: 'tabs', title: 'Tabs' },
  { id: 'modules', title: 'Modules' },
  { id: 'svg', title: 'SVG' },
  { id: 'raw', title: 'Raw JSON' },
  { id: 'history', title: 'History' },
]

// Sections that are one module's settings.
const MODULE_SECTIONS: Record<string, string> = { schedules: 'schedule', tabs: 'frontend' }

interface DryRun {
  valid: boolean
  base_version: string
  issues: Issue[]
  changes: SectionChanges[]
  diff: JsonDiff
}

type Doc = Record<string, Json>

function sectionOfPath(path: string, doc: Doc): string {
  const m = /^drivers\[\d+\]\.(command_datapoints|datapoints)/.exec(path)
  if (m) return m[1]
  const mod = /^modules\[(\d+)\]/.exec(path)
  if (mod) {
    const name = ((doc.modules as Doc[] | undefined)?.[Number(mod[1])] as Doc | undefined)?.name
    for (const [s, n] of Object.entries(MODULE_SECTIONS)) if (n === name) return s
    return 'modules'
  }
  const top = path.split(/[.[]/)[0]
  return SECTIONS.some((s) => s.id === top) ? top : 'raw'
}

export function ConfigEditor({ me, section, go }: { me: Me; section: string; go: (s: string) => void }) {
  // view_config alone: everything is shown, nothing can be saved (the server refuses it too).
  const readOnly = !me.permissions.includes('edit_config')
  const [schema, setSchema] = useState<Schema | null>(null)
  const [base, setBase] = useState<{ version: string; document: Doc } | null>(null)
  const [doc, setDoc] = useState<Doc | null>(null)
  const [issues, setIssues] = useState<Issue[]>([])
  const [dry, setDry] = useState<DryRun | null>(null)
  const [showDry, setShowDry] = useState(false)
  const [conflict, setConflict] = useState<Conflict | null>(null)
  const [status, setStatus] = useState<{ kind: 'ok' | 'error' | 'info'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const [liveIds, setLiveIds] = useState<string[]>([])

  const load = useCallback(async () => {
    const r = await call<{ version: string; document: Doc }>('/api/config')
    if (!r.ok) return setStatus({ kind: 'error', text: `Cannot read the configuration: ${r.error!.message}` })
    setBase(r.body)
    setDoc(structuredClone(r.body.document))
    setConflict(null)
    setIssues([])
    setDry(null)
  }, [])

  useEffect(() => {
    void call<Schema>('/api/config/schema').then((r) => r.ok && setSchema(r.body))
    void call<{ items: { id: string }[] }>('/api/datapoints?limit=10000').then((r) => r.ok && setLiveIds(r.body.items.map((d) => d.id)))
    void load()
  }, [load])

  const dirty = useMemo(() => !!base && !!doc && JSON.stringify(base.document) !== JSON.stringify(doc), [base, doc])

  // The server's checks as you edit: a dry run shortly after the last change.
  const seq = useRef(0)
  useEffect(() => {
    if (!doc || !base) return
    const mine = ++seq.current
    const t = setTimeout(() => {
      void call<DryRun>('/api/config/dry-run', { body: JSON.stringify(doc), contentType: 'application/json' }).then((r) => {
        if (mine !== seq.current) return
        if (r.ok) {
          setDry(r.body)
          setIssues(r.body.issues)
        } else setIssues([{ file: 'system_config.json', path: r.error!.field ?? '', message: r.error!.message, error: true }])
      })
    }, 500)
    return () => clearTimeout(t)
  }, [doc, base])

  const text = (d: Doc) => JSON.stringify(d, null, 2) + '\n'

  async function save(over?: { version: string; document: Doc }) {
    if (!doc || !base) return
    setBusy(true)
    setStatus({ kind: 'info', text: 'Saving…' })
    const r = await call<{ version: string; changes: SectionChanges[]; issues: Issue[]; applied: boolean }>('/api/config', {
      method: 'PUT',
      body: text(doc),
      contentType: 'application/json',
      ifMatch: (over ?? base).version,
    })
    setBusy(false)
    if (r.ok) {
      setBase({ version: r.body.version, document: structuredClone(doc) })
      setIssues(r.body.issues)
      setConflict(null)
      const n = r.body.changes.reduce((a, c) => a + c.added.length + c.removed.length + c.changed.length, 0)
      setStatus({ kind: 'ok', text: `Saved and applied: version ${r.body.version} (${n} named change${n === 1 ? '' : 's'}).` })
      return
    }
    const b = r.body as Record<string, unknown>
    if (r.status === 409) {
      setConflict({ version: String(b.version), your_version: String(b.your_version), message: r.error!.message, diff: b.diff as JsonDiff, proposed_diff: b.proposed_diff as JsonDiff })
      setStatus({ kind: 'error', text: 'Not saved: someone else saved first.' })
    } else {
      if (Array.isArray(b?.issues)) setIssues(b.issues as Issue[])
      else if (r.error?.field !== undefined) setIssues([{ file: 'system_config.json', path: r.error.field ?? '', message: r.error.message, error: true }])
      setStatus({ kind: 'error', text: `Not saved (${r.status}): ${r.error!.message}` })
      if (r.error?.field) go(sectionOfPath(r.error.field, doc))
    }
  }

  async function mergeOntoTheirs() {
    if (!base || !doc) return
    const r = await call<{ version: string; document: Doc }>('/api/config')
    if (!r.ok) return
    const { merged, overlaps } = merge(base.document, doc, r.body.document)
    setBase(r.body)
    setDoc(merged as Doc)
    setConflict(null)
    setStatus({
      kind: overlaps.length ? 'error' : 'info',
      text: `Your edits are now on top of version ${r.body.version}.` + (overlaps.length ? ` Both changed: ${overlaps.join(', ')} (yours kept) — check, then save.` : ' Check and save.'),
    })
  }

  const ids = useMemo(() => {
    const out = new Set(liveIds)
    for (const d of (doc?.drivers as Doc[] | undefined) ?? [])
      for (const list of ['datapoints', 'command_datapoints'])
        for (const p of (d[list] as Doc[] | undefined) ?? []) if (typeof p.name === 'string') out.add(p.name.includes('@') ? p.name : `${d.name}@${p.name}`)
    return [...out].sort()
  }, [doc, liveIds])

  const issueMap = useMemo(() => {
    const m = new Map<string, string[]>()
    for (const i of issues) m.set(i.path, [...(m.get(i.path) ?? []), (i.error ? '' : 'warning: ') + i.message])
    return m
  }, [issues])

  if (!base || !doc || !schema) return <p className="muted">{status?.text ?? 'Loading the configuration…'}</p>

  const typeNames = Object.keys((doc.dp_types as Doc | undefined) ?? {})
  const ctx: FormContext = {
    root: schema,
    issues: issueMap,
    custom: (path, key, value, onChange) => {
      if (section === 'drivers' && /^drivers\[\d+\]\.(command_)?datapoints$/.test(path))
        return (
          <span className="muted">
            {Array.isArray(value) ? value.length : 0} —{' '}
            <a
              href={'#' + key}
              onClick={(e) => {
                e.preventDefault()
                go(key)
              }}
            >
              edit in {key === 'datapoints' ? 'Datapoints' : 'Command datapoints'}
            </a>
          </span>
        )
      if (/^rules\[\d+\]\.(on|off)_condition$/.test(path)) return <ExpressionInput kind="rule" label={key} value={String(value ?? '')} ids={ids} onChange={onChange} />
      if (/^rules\[\d+\]\.(on|off)_actions\[\d+\]$/.test(path)) return <ExpressionInput kind="action" label={key} value={String(value ?? '')} ids={ids} onChange={onChange} />
      if (/^animations\.[^[]+\[\d+\]\.expression$/.test(path)) return <ExpressionInput kind="animation" label={key} value={String(value ?? '')} ids={ids} onChange={onChange} />
      if (/^drivers\[\d+\]\.(command_)?datapoints\[\d+\]\.type$/.test(path))
        return (
          <select aria-label="type" value={String(value ?? '')} onChange={(e) => onChange(e.target.value)}>
            {!typeNames.includes(String(value ?? '')) && <option value={String(value ?? '')}>{String(value || '(choose a type)')}</option>}
            {typeNames.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        )
      return null
    },
  }
  const props = schema.properties ?? {}
  const setTop = (k: string, v: Json) => setDoc({ ...doc, [k]: v })

  let body: ReactNode
  if (section === 'history') body = <History base="/api/config" onReverted={() => void load()} />
  else if (section === 'svg') {
    const saved = base.document
    const animations = saved.animations && typeof saved.animations === 'object' && !Array.isArray(saved.animations) ? (saved.animations as Record<string, unknown>) : {}
    const drivers = ((saved.drivers as Doc[] | undefined) ?? []).map((d) => String(d.name))
    body = <SvgLayouts me={me} ids={liveIds} animations={animations} drivers={drivers} readOnly={readOnly} />
  }
  else if (section === 'raw') body = <RawView doc={doc} onApply={setDoc} />
  else if (section === 'datapoints' || section === 'command_datapoints') {
    const drivers = (doc.drivers as Doc[] | undefined) ?? []
    const driverSchema = resolve(resolve(props.drivers, schema).items, schema)
    body = drivers.length ? (
      drivers.map((d, i) => (
        <SchemaField
          key={i}
          schema={driverSchema.properties?.[section] ?? { type: 'array' }}
          value={d[section] ?? []}
          path={`drivers[${i}].${section}`}
          label={`${String(d.name)} (${String(d.driver_class)})`}
          ctx={ctx}
          onChange={(v) => setTop('drivers', drivers.map((x, j) => (j === i ? { ...x, [section]: v } : x)))}
        />
      ))
    ) : (
      <p className="muted">No drivers yet: add one under Drivers.</p>
    )
  } else if (MODULE_SECTIONS[section]) {
    const name = MODULE_SECTIONS[section]
    const mods = (doc.modules as Doc[] | undefined) ?? []
    const i = mods.findIndex((m) => m.name === name)
    body =
      i < 0 ? (
        <p>
          The <b>{name}</b> module is not in the configuration.{' '}
          <button type="button" className="add" onClick={() => setTop('modules', [...mods, { name, config: {} }])}>
            + Add the {name} module
          </button>
        </p>
      ) : (
        <SchemaField schema={resolve(props.modules, schema).items ?? {}} value={mods[i]} path={`modules[${i}]`} label={`${name} module`} ctx={ctx} onChange={(v) => setTop('modules', mods.map((x, j) => (j === i ? (v as Doc) : x)))} />
      )
  } else {
    body =
      section in doc ? (
        <SchemaField schema={props[section] ?? {}} value={doc[section]} path={section} label={section} ctx={ctx} onChange={(v) => setTop(section, v)} />
      ) : (
        <p>
          No <b>{section}</b> yet.{' '}
          <button type="button" className="add" onClick={() => setTop(section, defaultOf(props[section] ?? { type: 'array' }, schema))}>
            + Add {section}
          </button>
        </p>
      )
  }

  const errors = issues.filter((i) => i.error)
  const changeCount = dry ? dry.changes.reduce((a, c) => a + c.added.length + c.removed.length + c.changed.length, 0) : 0
  return (
    <div className="editor">
      <div className="editor-toolbar" role="toolbar" aria-label="Configuration">
        <span className="mono small muted" title="The version you are editing">
          version {base.version}
        </span>
        {dirty ? <span className="tag dirty">unsaved edits</span> : <span className="muted small">no edits</span>}
        <span className={'small ' + (errors.length ? 'error' : 'muted')} data-issues={errors.length}>
          {errors.length ? `✕ ${errors.length} error${errors.length > 1 ? 's' : ''}` : '✓ valid'}
        </span>
        <span className="spacer" />
        <button type="button" onClick={() => setShowDry(!showDry)} aria-pressed={showDry} disabled={!dry}>
          Dry run{dry && dirty ? ` (${changeCount})` : ''}
        </button>
        <button type="button" onClick={() => void load()} disabled={busy}>
          Reload
        </button>
        {readOnly && <span className="tag">read only (view_config)</span>}
        <button type="button" className="primary" onClick={() => void save()} disabled={busy || !dirty || readOnly} title={readOnly ? 'Saving needs the edit_config permission' : ''}>
          Save
        </button>
      </div>
      {status && (
        <p className={'editor-status ' + status.kind} role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.text}
        </p>
      )}
      {conflict && <ConflictPanel conflict={conflict} onReload={() => void load()} onOverwrite={() => void mergeOntoTheirs()} />}
      {errors.length > 0 && (
        <section className="panel issues" aria-label="Issues">
          <header>
            <h2>Issues the server reports</h2>
          </header>
          <ul className="plain">
            {issues.map((i, n) => (
              <li key={n} className={i.error ? 'error' : 'muted'}>
                <a
                  href={'#' + sectionOfPath(i.path, doc)}
                  className="mono"
                  onClick={(e) => {
                    e.preventDefault()
                    go(sectionOfPath(i.path, doc))
                  }}
                >
                  {i.path || '(document)'}
                </a>
                : {i.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {showDry && dry && (
        <section className="panel dry-run" aria-label="Dry run">
          <header>
            <h2>What saving would change {dry.valid ? '' : '(refused as it is)'}</h2>
          </header>
          <Changes changes={dry.changes} />
          <DiffView diff={dry.diff} />
        </section>
      )}
      <div className="editor-body">{body}</div>
    </div>
  )
}

function RawView({ doc, onApply }: { doc: Doc; onApply: (d: Doc) => void }) {
  const [text, setText] = useState(() => JSON.stringify(doc, null, 2))
  const [error, setError] = useState('')
  useEffect(() => setText(JSON.stringify(doc, null, 2)), [doc])
  return (
    <section className="panel raw" aria-label="Raw JSON">
      <header>
        <h2>system_config.json</h2>
      </header>
      <textarea
        className="mono raw-json"
        aria-label="Raw JSON"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          try {
            const v = JSON.parse(e.target.value) as unknown
            if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the document must be an object')
            setError('')
            onApply(v as Doc)
          } catch (err) {
            setError((err as Error).message)
          }
        }}
      />
      {error && (
        <p className="error" role="alert">
          Not JSON: {error}
        </p>
      )}
    </section>
  )
}
