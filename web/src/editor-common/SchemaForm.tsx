// A form generated from a JSON Schema (the subset weir's /api/config/schema uses: $ref into
// $defs, objects with properties / additionalProperties, arrays, enums, numbers, integers,
// booleans, strings, "any JSON" type lists, and the modules' allOf [{if name == X, then config}]).
// Every field knows its JSON path in weir's spelling (drivers[0].datapoints[1].type), so the
// server's issues are shown at their field. Keys the schema does not know stay editable as raw
// JSON (the server reports them as unknown).
import { useEffect, useState, type ReactNode } from 'react'

export type Schema = Record<string, unknown> & {
  $ref?: string
  type?: string | string[]
  properties?: Record<string, Schema>
  additionalProperties?: Schema | boolean
  items?: Schema
  enum?: unknown[]
  required?: string[]
  description?: string
  examples?: unknown[]
  allOf?: { if?: { properties?: Record<string, { const?: unknown }> }; then?: Schema }[]
}

export interface FormContext {
  root: Schema
  issues: Map<string, string[]>
  // A custom editor for a field (expressions, datapoint ids); null for the default.
  custom?: (path: string, key: string, value: unknown, onChange: (v: unknown) => void) => ReactNode | null
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

export function resolve(s: Schema | undefined, root: Schema, value?: unknown): Schema {
  let out: Schema = s ?? {}
  for (let i = 0; i < 20 && out.$ref; i++) {
    const parts = out.$ref.replace(/^#\//, '').split('/')
    let at: unknown = root
    for (const p of parts) at = (at as Record<string, unknown> | undefined)?.[p]
    const { $ref: _ignored, ...rest } = out
    out = { ...((at as Schema) ?? {}), ...rest }
  }
  if (out.allOf && value && typeof value === 'object') {
    const props = { ...(out.properties ?? {}) }
    for (const c of out.allOf) {
      const cond = c.if?.properties ?? {}
      const match = Object.entries(cond).every(([k, v]) => (value as Record<string, unknown>)[k] === v.const)
      if (match && c.then?.properties) for (const [k, v] of Object.entries(c.then.properties)) props[k] = v
    }
    out = { ...out, properties: props }
  }
  return out
}

function typesOf(s: Schema): string[] {
  if (s.enum) return ['enum']
  if (Array.isArray(s.type)) return s.type
  if (s.type) return [s.type]
  if (s.properties || s.additionalProperties) return ['object']
  if (s.items) return ['array']
  return []
}

export function defaultOf(s: Schema, root: Schema): Json {
  const r = resolve(s, root)
  const t = typesOf(r)
  if (t.length !== 1) return null
  switch (t[0]) {
    case 'object': {
      const o: Record<string, Json> = {}
      for (const k of r.required ?? []) o[k] = defaultOf(r.properties?.[k] ?? {}, root)
      return o
    }
    case 'array':
      return []
    case 'boolean':
      return false
    case 'number':
    case 'integer':
      return 0
    case 'enum':
      return (r.enum?.[0] as Json) ?? ''
    default:
      return ''
  }
}

export const join = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key)

// Issues at this path or below it (for marking collapsed containers).
function issuesBelow(ctx: FormContext, path: string): number {
  let n = 0
  for (const [p, list] of ctx.issues) if (p === path || p.startsWith(path + '.') || p.startsWith(path + '[')) n += list.length
  return n
}

export function FieldIssues({ ctx, path }: { ctx: FormContext; path: string }) {
  const list = ctx.issues.get(path)
  if (!list?.length) return null
  return (
    <ul className="field-issues" role="alert" data-path={path}>
      {list.map((m, i) => (
        <li key={i}>{m}</li>
      ))}
    </ul>
  )
}

function RawJson({ value, onChange, label }: { value: unknown; onChange: (v: Json) => void; label: string }) {
  const [text, setText] = useState(() => JSON.stringify(value ?? null))
  const [bad, setBad] = useState('')
  useEffect(() => setText(JSON.stringify(value ?? null)), [value])
  return (
    <span className="raw-field">
      <input
        className="mono"
        aria-label={label}
        aria-invalid={bad ? true : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          try {
            onChange(JSON.parse(e.target.value) as Json)
            setBad('')
          } catch (err) {
            setBad((err as Error).message)
          }
        }}
      />
      {bad && <span className="error small">{bad}</span>}
    </span>
  )
}

export function SchemaField({ schema, value, path, label, ctx, onChange, onRemove, compact }: { schema: Schema; value: unknown; path: string; label: string; ctx: FormContext; onChange: (v: Json) => void; onRemove?: () => void; compact?: boolean }) {
  const s = resolve(schema, ctx.root, value)
  const key = path.split(/[.[\]]/).filter(Boolean).pop() ?? ''
  const custom = ctx.custom?.(path, key, value, onChange as (v: unknown) => void)
  const types = typesOf(s)
  const bad = (ctx.issues.get(path)?.length ?? 0) > 0
  const remove = onRemove && (
    <button type="button" className="link remove" aria-label={`Remove ${label}`} title="Remove" onClick={onRemove}>
      ✕
    </button>
  )
  const head = (
    <span className="field-label" title={s.description}>
      {label}
      {s.description && <span className="muted small"> — {s.description}</span>}
    </span>
  )

  if (custom && compact)
    return (
      <div className={'cell' + (bad ? ' has-issue' : '')} data-path={path}>
        {custom}
        <FieldIssues ctx={ctx} path={path} />
      </div>
    )
  if (custom) {
    return (
      <div className={'field' + (bad ? ' has-issue' : '')} data-path={path}>
        <label>
          {head}
          {custom}
        </label>
        {remove}
        <FieldIssues ctx={ctx} path={path} />
      </div>
    )
  }
  const t = types.length === 1 ? types[0] : types.includes('string') && types.length === 1 ? 'string' : types.length === 0 ? 'any' : 'any'
  const matches = t === 'any' || t === 'enum' || (t === 'object' ? value !== null && typeof value === 'object' && !Array.isArray(value) : t === 'array' ? Array.isArray(value) : t === 'integer' ? typeof value === 'number' : typeof value === t)

  // No type in the schema (gis_icons, streams, rule actions...): follow the value's shape.
  if (types.length === 0 && value !== null && typeof value === 'object')
    return Array.isArray(value) ? (
      <ArrayFields schema={{ ...s, items: s.items ?? {} }} value={value as Json[]} path={path} label={label} ctx={ctx} onChange={onChange} remove={remove} />
    ) : (
      <ObjectFields schema={s} value={value as Record<string, Json>} path={path} label={label} ctx={ctx} onChange={onChange} remove={remove} />
    )
  if (t === 'object' && matches) return <ObjectFields schema={s} value={value as Record<string, Json>} path={path} label={label} ctx={ctx} onChange={onChange} remove={remove} />
  if (t === 'array' && matches) return <ArrayFields schema={s} value={value as Json[]} path={path} label={label} ctx={ctx} onChange={onChange} remove={remove} />

  let input: ReactNode
  if (!matches && value !== undefined) {
    input = <RawJson value={value} onChange={onChange} label={label} />
  } else if (t === 'enum') {
    const opts = (s.enum ?? []).map(String)
    input = (
      <select aria-label={label} value={String(value ?? '')} onChange={(e) => onChange(s.enum!.find((x) => String(x) === e.target.value) as Json)}>
        {!opts.includes(String(value ?? '')) && <option value={String(value ?? '')}>{String(value ?? '(choose)')}</option>}
        {opts.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    )
  } else if (t === 'boolean') {
    input = <input type="checkbox" aria-label={label} checked={value === true} onChange={(e) => onChange(e.target.checked)} />
  } else if (t === 'number' || t === 'integer') {
    input = (
      <NumberInput
        label={label}
        value={value as number | undefined}
        integer={t === 'integer'}
        min={typeof s.minimum === 'number' ? s.minimum : undefined}
        onChange={onChange}
      />
    )
  } else if (t === 'string') {
    const examples = (s.examples ?? []).map(String)
    const list = examples.length ? `ex-${path}` : undefined
    input = (
      <>
        <input aria-label={label} value={String(value ?? '')} list={list} onChange={(e) => onChange(e.target.value)} />
        {list && (
          <datalist id={list}>
            {examples.map((x) => (
              <option key={x} value={x} />
            ))}
          </datalist>
        )}
      </>
    )
  } else {
    input = <RawJson value={value} onChange={onChange} label={label} />
  }
  if (compact)
    return (
      <div className={'cell' + (bad ? ' has-issue' : '')} data-path={path}>
        {input}
        <FieldIssues ctx={ctx} path={path} />
      </div>
    )
  return (
    <div className={'field' + (bad ? ' has-issue' : '')} data-path={path}>
      <label>
        {head}
        {input}
      </label>
      {remove}
      <FieldIssues ctx={ctx} path={path} />
    </div>
  )
}

function NumberInput({ label, value, integer, min, onChange }: { label: string; value: number | undefined; integer: boolean; min?: number; onChange: (v: Json) => void }) {
  const [text, setText] = useState(value === undefined ? '' : String(value))
  useEffect(() => {
    if (Number(text) !== value) setText(value === undefined ? '' : String(value))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value])
  return (
    <input
      type="number"
      className="num"
      aria-label={label}
      step={integer ? 1 : 'any'}
      min={min}
      value={text}
      onChange={(e) => {
        setText(e.target.value)
        if (e.target.value !== '' && !Number.isNaN(Number(e.target.value))) onChange(Number(e.target.value))
      }}
    />
  )
}

function ObjectFields({ schema, value, path, label, ctx, onChange, remove }: { schema: Schema; value: Record<string, Json>; path: string; label: string; ctx: FormContext; onChange: (v: Json) => void; remove?: ReactNode }) {
  const props = schema.properties ?? {}
  const required = new Set(schema.required ?? [])
  const known = Object.keys(props)
  const present = known.filter((k) => k in value)
  const absent = known.filter((k) => !(k in value))
  const extra = Object.keys(value).filter((k) => !(k in props))
  // An object the schema leaves open (a driver's params, a module without settings): each key
  // typed by its value, keys added freely.
  const free = !schema.properties && !schema.additionalProperties && schema.additionalProperties !== false
  const map = schema.additionalProperties && typeof schema.additionalProperties === 'object' ? schema.additionalProperties : free ? ({} as Schema) : null
  const [newKey, setNewKey] = useState('')
  const set = (k: string, v: Json) => onChange({ ...value, [k]: v })
  const del = (k: string) => {
    const { [k]: _gone, ...rest } = value
    onChange(rest)
  }
  const n = issuesBelow(ctx, path)
  return (
    <fieldset className={'object' + (n ? ' has-issue' : '')} data-path={path}>
      <legend>
        {label} {remove}
        {n > 0 && <span className="issue-count">{n} issue{n > 1 ? 's' : ''}</span>}
      </legend>
      <FieldIssues ctx={ctx} path={path} />
      {present.map((k) => (
        <SchemaField key={k} schema={props[k]} value={value[k]} path={join(path, k)} label={k} ctx={ctx} onChange={(v) => set(k, v)} onRemove={required.has(k) ? undefined : () => del(k)} />
      ))}
      {extra.map((k) =>
        map ? (
          <SchemaField key={k} schema={free ? inferred(value[k]) : map} value={value[k]} path={join(path, k)} label={k} ctx={ctx} onChange={(v) => set(k, v)} onRemove={() => del(k)} />
        ) : (
          <div className={'field unknown-key' + (ctx.issues.has(join(path, k)) ? ' has-issue' : '')} key={k} data-path={join(path, k)}>
            <label>
              <span className="field-label">
                {k} <span className="tag">not in the schema</span>
              </span>
              <RawJson value={value[k]} onChange={(v) => set(k, v)} label={k} />
            </label>
            <button type="button" className="link remove" aria-label={`Remove ${k}`} onClick={() => del(k)}>
              ✕
            </button>
            <FieldIssues ctx={ctx} path={join(path, k)} />
          </div>
        ),
      )}
      {(absent.length > 0 || map) && (
        <div className="add-keys">
          {absent.map((k) => (
            <button key={k} type="button" className="add" title={resolve(props[k], ctx.root).description} onClick={() => set(k, defaultOf(props[k], ctx.root))}>
              + {k}
            </button>
          ))}
          {map && (
            <span className="add-key">
              <input aria-label={`New key in ${label}`} placeholder="new key" value={newKey} onChange={(e) => setNewKey(e.target.value)} />
              <button
                type="button"
                className="add"
                disabled={!newKey || newKey in value}
                onClick={() => {
                  set(newKey, defaultOf(map, ctx.root))
                  setNewKey('')
                }}
              >
                + Add
              </button>
            </span>
          )}
        </div>
      )}
    </fieldset>
  )
}

export function itemTitle(v: unknown, i: number): string {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    for (const k of ['name', 'rule_id', 'id', 'username', 'key', 'schedule_id', 'title']) if (typeof o[k] === 'string' && o[k]) return `${o[k]}`
  }
  return `#${i + 1}`
}

function ArrayFields({ schema, value, path, label, ctx, onChange, remove }: { schema: Schema; value: Json[]; path: string; label: string; ctx: FormContext; onChange: (v: Json) => void; remove?: ReactNode }) {
  const item = schema.items ?? {}
  const n = issuesBelow(ctx, path)
  const cols = flatColumns(item, ctx.root, value)
  if (cols)
    return (
      <fieldset className={'array' + (n ? ' has-issue' : '')} data-path={path}>
        <legend>
          {label} <span className="muted small">({value.length})</span> {remove}
          {n > 0 && <span className="issue-count">{n} issue{n > 1 ? 's' : ''}</span>}
        </legend>
        <FieldIssues ctx={ctx} path={path} />
        <table className="table compact form-table">
          <thead>
            <tr>
              {cols.map((c) => (
                <th key={c} title={resolve(resolve(item, ctx.root).properties?.[c], ctx.root).description}>
                  {c}
                </th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {value.map((v, i) => {
              const o = (v ?? {}) as Record<string, Json>
              const itemSchema = resolve(item, ctx.root, o)
              return (
                <tr key={i} data-path={join(path, i)} className={issuesBelow(ctx, join(path, i)) ? 'has-issue' : undefined}>
                  {cols.map((c) => (
                    <td key={c}>
                      {c in o || (itemSchema.required ?? []).includes(c) ? (
                        <SchemaField
                          compact
                          schema={itemSchema.properties?.[c] ?? {}}
                          value={o[c]}
                          path={join(join(path, i), c)}
                          label={`${c} of ${itemTitle(v, i)}`}
                          ctx={ctx}
                          onChange={(nv) => onChange(value.map((x, j) => (j === i ? { ...o, [c]: nv } : x)))}
                        />
                      ) : (
                        <button type="button" className="add" aria-label={`Set ${c} of ${itemTitle(v, i)}`} onClick={() => onChange(value.map((x, j) => (j === i ? { ...o, [c]: defaultOf(itemSchema.properties?.[c] ?? {}, ctx.root) } : x)))}>
                          + set
                        </button>
                      )}
                    </td>
                  ))}
                  <td className="actions">
                    <FieldIssues ctx={ctx} path={join(path, i)} />
                    <button type="button" className="link remove" aria-label={`Remove ${itemTitle(v, i)}`} title="Remove" onClick={() => onChange(value.filter((_, j) => j !== i))}>
                      ✕
                    </button>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
        <button type="button" className="add" onClick={() => onChange([...value, defaultOf(item, ctx.root)])}>
          + Add to {label}
        </button>
      </fieldset>
    )
  return (
    <fieldset className={'array' + (n ? ' has-issue' : '')} data-path={path}>
      <legend>
        {label} <span className="muted small">({value.length})</span> {remove}
        {n > 0 && <span className="issue-count">{n} issue{n > 1 ? 's' : ''}</span>}
      </legend>
      <FieldIssues ctx={ctx} path={path} />
      {value.map((v, i) => (
        <SchemaField
          key={i}
          schema={item}
          value={v}
          path={join(path, i)}
          label={itemTitle(v, i)}
          ctx={ctx}
          onChange={(nv) => onChange(value.map((x, j) => (j === i ? nv : x)))}
          onRemove={() => onChange(value.filter((_, j) => j !== i))}
        />
      ))}
      <button type="button" className="add" onClick={() => onChange([...value, defaultOf(item, ctx.root)])}>
        + Add to {label}
      </button>
    </fieldset>
  )
}

// The columns of an array shown as a table: its items are objects whose every property (known or
// present) is a scalar; null when it needs full forms.
function flatColumns(item: Schema, root: Schema, value: Json[]): string[] | null {
  const s = resolve(item, root)
  if (!s.properties || s.allOf) return null
  const cols = Object.keys(s.properties)
  if (cols.length > 8) return null
  for (const c of cols) {
    const t = typesOf(resolve(s.properties[c], root))
    if (t.length !== 1 || !['string', 'number', 'integer', 'boolean', 'enum'].includes(t[0])) return null
  }
  for (const v of value) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null
    for (const k of Object.keys(v)) if (!cols.includes(k)) return null
  }
  return cols
}

function inferred(v: unknown): Schema {
  if (typeof v === 'boolean') return { type: 'boolean' }
  if (typeof v === 'number') return { type: 'number' }
  if (typeof v === 'string') return { type: 'string' }
  return {}
}
