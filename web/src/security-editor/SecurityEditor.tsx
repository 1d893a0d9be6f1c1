// The security editor: users (create, disable, reset password: immediate actions on the server),
// groups with the permission catalogue, allowed apps, MQTT device accounts and ACL rules (allow
// and deny), "who may publish / subscribe to this topic?", the raw JSON; saved with If-Match like
// the config editor, with history, diff, revert and the conflict panel. A refused save's issue
// (the server's JSON path + message) is shown at its field in these forms, as the config editor
// shows its issues.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react'
import { call } from '../editor-common/http'
import { ConflictPanel, History, type Conflict } from '../editor-common/Versions'
import { merge } from '../editor-common/merge'
import type { JsonDiff } from '../editor-common/http'

export const SECTIONS = [
  { id: 'users', title: 'Users' },
  { id: 'groups', title: 'Groups & permissions' },
  { id: 'devices', title: 'MQTT devices' },
  { id: 'acl', title: 'MQTT ACL' },
  { id: 'topic', title: 'Topic checker' },
  { id: 'raw', title: 'Raw JSON' },
  { id: 'history', title: 'History' },
]

interface Group {
  name: string
  permissions: string[]
}
interface User {
  username: string
  password_hash: string
  groups: string[]
  allowed_apps: string[]
  password_change_required?: boolean
}
interface TopicAcl {
  publish: string[]
  subscribe: string[]
  deny_publish?: string[]
  deny_subscribe?: string[]
}
interface Device extends TopicAcl {
  username: string
  password_hash: string
}
interface AclRule extends TopicAcl {
  user?: string
  group?: string
}
interface Mqtt {
  allow_anonymous?: boolean
  anonymous?: TopicAcl
  devices: Device[]
  acl: AclRule[]
}
interface SecurityConfig {
  groups: Group[]
  users: User[]
  mqtt?: Mqtt
}
interface UserSummary {
  username: string
  groups: string[]
  allowed_apps: string[]
  disabled: boolean
  password_change_required: boolean
  may_edit_security: boolean
  permissions: string[]
}
interface Catalogue {
  permissions: { name: string; description: string; legacy_names: string[] }[]
  apps: { name: string; description: string }[]
}
interface TopicAccess {
  kind: string
  name: string
  connect: boolean
  publish: boolean
  subscribe: boolean
}

// The server's issue with a refused save or action: its JSON path ("groups[1].permissions[2]")
// and message, shown by the IssueAt under that path.
interface FieldIssue {
  field: string
  message: string
}
const IssueCtx = createContext<FieldIssue | null>(null)

function under(field: string, path: string, exact: boolean) {
  return field === path || (!exact && (field.startsWith(path + '.') || field.startsWith(path + '[')))
}

// The issue when its path is `path` (or below it, unless exact), at the field it names; with
// `except`, not when it is under one of those (shown at their own fields): an entry's other keys
// (an unknown key typed in the raw JSON) are shown at the entry.
function IssueAt({ path, exact = false, except = [] }: { path: string; exact?: boolean; except?: string[] }) {
  const issue = useContext(IssueCtx)
  if (!issue || !under(issue.field, path, exact)) return null
  if (except.some((e) => under(issue.field, `${path}.${e}`, false))) return null
  return (
    <ul className="field-issues" role="alert" data-path={issue.field}>
      <li>{atField(issue)}</li>
    </ul>
  )
}

// The message without the path it starts with: shown at the field, the path is where it is.
function atField(issue: FieldIssue): string {
  const m = issue.message.replace(/^request body: /, '')
  return m.startsWith(issue.field + ': ') ? m.slice(issue.field.length + 2) : m
}

// Marks an input whose path has the issue.
function useInvalid(path: string): boolean {
  const issue = useContext(IssueCtx)
  return !!issue && under(issue.field, path, false)
}

async function sha256hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function Checks({ options, value, onChange, label }: { options: { name: string; description?: string }[]; value: string[]; onChange: (v: string[]) => void; label: string }) {
  return (
    <span className="checks" role="group" aria-label={label}>
      {options.map((o) => (
        <label key={o.name} title={o.description}>
          <input type="checkbox" checked={value.includes(o.name)} onChange={(e) => onChange(e.target.checked ? [...value, o.name] : value.filter((x) => x !== o.name))} /> {o.name}
        </label>
      ))}
    </span>
  )
}

function Lines({ value, onChange, label, path }: { value: string[] | undefined; onChange: (v: string[]) => void; label: string; path: string }) {
  const [text, setText] = useState((value ?? []).join('\n'))
  const invalid = useInvalid(path)
  useEffect(() => {
    if (text.split('\n').filter(Boolean).join('\n') !== (value ?? []).join('\n')) setText((value ?? []).join('\n'))
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value])
  return (
    <label className="lines">
      <span className="small muted">{label}</span>
      <textarea
        className="mono"
        aria-label={label}
        aria-invalid={invalid || undefined}
        rows={Math.max(2, (value ?? []).length + 1)}
        value={text}
        placeholder="one topic filter a line"
        onChange={(e) => {
          setText(e.target.value)
          onChange(
            e.target.value
              .split('\n')
              .map((s) => s.trim())
              .filter(Boolean),
          )
        }}
      />
      <IssueAt path={path} />
    </label>
  )
}

function AclFields({ acl, onChange, path }: { acl: TopicAcl; onChange: (a: TopicAcl) => void; path: string }) {
  return (
    <div className="acl-fields">
      <Lines label="publish" path={`${path}.publish`} value={acl.publish} onChange={(v) => onChange({ ...acl, publish: v })} />
      <Lines label="subscribe" path={`${path}.subscribe`} value={acl.subscribe} onChange={(v) => onChange({ ...acl, subscribe: v })} />
      <Lines label="deny publish" path={`${path}.deny_publish`} value={acl.deny_publish} onChange={(v) => onChange({ ...acl, deny_publish: v.length ? v : undefined })} />
      <Lines label="deny subscribe" path={`${path}.deny_subscribe`} value={acl.deny_subscribe} onChange={(v) => onChange({ ...acl, deny_subscribe: v.length ? v : undefined })} />
    </div>
  )
}

export function SecurityEditor({ me, section }: { me: string; section: string }) {
  const [base, setBase] = useState<{ version: string; config: SecurityConfig } | null>(null)
  const [cfg, setCfg] = useState<SecurityConfig | null>(null)
  const [summary, setSummary] = useState<UserSummary[]>([])
  const [catalogue, setCatalogue] = useState<Catalogue>({ permissions: [], apps: [] })
  const [conflict, setConflict] = useState<Conflict | null>(null)
  const [status, setStatus] = useState<{ kind: 'ok' | 'error' | 'info'; text: string; field?: string } | null>(null)
  const [issue, setIssue] = useState<FieldIssue | null>(null)
  const [busy, setBusy] = useState(false)

  const load = useCallback(async (keepStatus = false) => {
    const [c, u] = await Promise.all([call<SecurityConfig>('/api/security/config'), call<{ items: UserSummary[] }>('/api/security/users')])
    if (!c.ok) return setStatus({ kind: 'error', text: `Cannot read the security configuration: ${c.error!.message}` })
    setBase({ version: c.etag, config: c.body })
    setCfg(structuredClone(c.body))
    if (u.ok) setSummary(u.body.items)
    setConflict(null)
    setIssue(null)
    if (!keepStatus) setStatus(null)
  }, [])
  useEffect(() => {
    void call<Catalogue>('/api/security/catalogue').then((r) => r.ok && setCatalogue(r.body))
    void load()
  }, [load])
  const dirty = useMemo(() => !!base && !!cfg && JSON.stringify(base.config) !== JSON.stringify(cfg), [base, cfg])

  async function save() {
    if (!cfg || !base) return
    setBusy(true)
    const r = await call<{ version: string; config: SecurityConfig }>('/api/security/config', { method: 'PUT', json: cfg, ifMatch: base.version })
    setBusy(false)
    if (r.ok) {
      await load(true)
      setStatus({ kind: 'ok', text: `Saved and applied: version ${r.body.version}.` })
      return
    }
    setIssue(r.status !== 409 && r.error?.field ? { field: r.error.field, message: r.error.message } : null)
    const b = r.body as Record<string, unknown>
    if (r.status === 409) {
      setConflict({ version: String(b.version), your_version: String(b.your_version), message: r.error!.message, diff: b.diff as JsonDiff, proposed_diff: b.proposed_diff as JsonDiff })
      setStatus({ kind: 'error', text: 'Not saved: someone else saved first.' })
    } else setStatus({ kind: 'error', text: `Not saved (${r.status}): ${r.error!.field ? r.error!.field + ': ' : ''}${r.error!.message}`, field: r.error!.field })
  }

  async function mergeOntoTheirs() {
    if (!base || !cfg) return
    const r = await call<SecurityConfig>('/api/security/config')
    if (!r.ok) return
    const { merged, overlaps } = merge(base.config, cfg, r.body)
    setBase({ version: r.etag, config: r.body })
    setCfg(merged as SecurityConfig)
    setConflict(null)
    setStatus({ kind: overlaps.length ? 'error' : 'info', text: `Your edits are now on top of version ${r.etag}.` + (overlaps.length ? ` Both changed: ${overlaps.join(', ')} (yours kept).` : '') + ' Check and save.' })
  }

  // Immediate user actions: applied at once, then the editor reloads (edits kept only if none).
  async function action(path: string, json: unknown, done: string) {
    if (dirty && !confirm('This acts at once and reloads the configuration: your unsaved edits will be dropped. Continue?')) return false
    const r = await call<{ version: string }>(path, { method: 'POST', json })
    if (!r.ok) {
      // The action's body paths ("password", "groups[0]"), under the form that sent it.
      const form = path === '/api/security/users' ? 'new_user' : path.endsWith('/reset-password') ? 'reset_password' : ''
      setIssue(r.error?.field && form ? { field: `${form}.${r.error.field}`, message: r.error.message } : null)
      setStatus({ kind: 'error', text: `${r.error!.field ? r.error!.field + ': ' : ''}${r.error!.message}`, field: r.error!.field })
      return false
    }
    // The server's configuration changed: unsaved edits would now conflict, so they are dropped
    // (the confirm below says so first).
    await load(true)
    setStatus({ kind: 'ok', text: `${done} (version ${r.body.version})` })
    return true
  }

  if (!cfg || !base) return <p className="muted">{status?.text ?? 'Loading the security configuration…'}</p>
  const set = (c: Partial<SecurityConfig>) => setCfg({ ...cfg, ...c })
  const mqtt: Mqtt = { devices: [], acl: [], ...(cfg.mqtt ?? {}) }
  const setMqtt = (m: Partial<Mqtt>) => set({ mqtt: { ...mqtt, ...m } })
  const groupOpts = cfg.groups.map((g) => ({ name: g.name }))

  let body: ReactNode
  switch (section) {
    case 'users':
      body = <Users cfg={cfg} me={me} summary={summary} catalogue={catalogue} groupOpts={groupOpts} set={set} action={action} />
      break
    case 'groups':
      body = (
        <div className="stack">
          {cfg.groups.map((g, i) => (
            <section className="panel" key={i} aria-label={`Group ${g.name}`}>
              <header>
                <label>
                  Group{' '}
                  <input aria-label="group name" aria-invalid={issue?.field === `groups[${i}].name` || undefined} value={g.name} onChange={(e) => set({ groups: cfg.groups.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })} />
                </label>
                <span className="muted small">{cfg.users.filter((u) => u.groups.includes(g.name)).map((u) => u.username).join(', ') || 'no members'}</span>
                <button type="button" onClick={() => set({ groups: cfg.groups.filter((_, j) => j !== i) })}>
                  Remove group
                </button>
              </header>
              <IssueAt path={`groups[${i}]`} except={['name', 'permissions']} />
              <IssueAt path={`groups[${i}].name`} />
              <UnknownPermissions
                permissions={g.permissions}
                catalogue={catalogue}
                onRemove={(n) => set({ groups: cfg.groups.map((x, j) => (j === i ? { ...x, permissions: x.permissions.filter((p) => p !== n) } : x)) })}
              />
              <IssueAt path={`groups[${i}].permissions`} />
              <div className="perm-list" role="group" aria-label={`Permissions of ${g.name}`}>
                {catalogue.permissions.map((p) => (
                  <label key={p.name}>
                    <input
                      type="checkbox"
                      checked={g.permissions.includes(p.name) || p.legacy_names.some((l) => g.permissions.includes(l))}
                      onChange={(e) =>
                        set({
                          groups: cfg.groups.map((x, j) =>
                            j === i ? { ...x, permissions: e.target.checked ? [...x.permissions, p.name] : x.permissions.filter((n) => n !== p.name && !p.legacy_names.includes(n)) } : x,
                          ),
                        })
                      }
                    />
                    <span>
                      <b className="mono">{p.name}</b>
                      <br />
                      <span className="small muted">{p.description}</span>
                    </span>
                  </label>
                ))}
              </div>
            </section>
          ))}
          <p>
            <button type="button" className="add" onClick={() => set({ groups: [...cfg.groups, { name: 'new_group', permissions: [] }] })}>
              + Add group
            </button>
          </p>
        </div>
      )
      break
    case 'devices':
      body = (
        <div className="stack">
          <section className="panel" aria-label="Anonymous clients">
            <header>
              <h2>Anonymous MQTT clients</h2>
              <label>
                <input type="checkbox" checked={mqtt.allow_anonymous === true} onChange={(e) => setMqtt({ allow_anonymous: e.target.checked || undefined })} /> allowed
              </label>
            </header>
            <IssueAt path="mqtt.allow_anonymous" />
            <IssueAt path="mqtt.anonymous" except={['publish', 'subscribe', 'deny_publish', 'deny_subscribe']} />
            {mqtt.allow_anonymous && <AclFields path="mqtt.anonymous" acl={mqtt.anonymous ?? { publish: [], subscribe: [] }} onChange={(a) => setMqtt({ anonymous: a })} />}
          </section>
          {mqtt.devices.map((d, i) => (
            <section className="panel" key={i} aria-label={`Device ${d.username}`}>
              <header>
                <label>
                  Device account <input aria-label="device username" value={d.username} onChange={(e) => setMqtt({ devices: mqtt.devices.map((x, j) => (j === i ? { ...x, username: e.target.value } : x)) })} />
                </label>
                <DevicePassword isSet={d.password_hash !== '' || base.config.mqtt?.devices.some((x) => x.username === d.username) === true} onSet={(h) => setMqtt({ devices: mqtt.devices.map((x, j) => (j === i ? { ...x, password_hash: h } : x)) })} />
                <button type="button" onClick={() => setMqtt({ devices: mqtt.devices.filter((_, j) => j !== i) })}>
                  Remove device
                </button>
              </header>
              <IssueAt path={`mqtt.devices[${i}]`} except={['username', 'password_hash', 'publish', 'subscribe', 'deny_publish', 'deny_subscribe']} />
              <IssueAt path={`mqtt.devices[${i}].username`} />
              <IssueAt path={`mqtt.devices[${i}].password_hash`} />
              <AclFields path={`mqtt.devices[${i}]`} acl={d} onChange={(a) => setMqtt({ devices: mqtt.devices.map((x, j) => (j === i ? { ...x, ...a } : x)) })} />
            </section>
          ))}
          <p>
            <button type="button" className="add" onClick={() => setMqtt({ devices: [...mqtt.devices, { username: 'new-device', password_hash: '', publish: [], subscribe: [] }] })}>
              + Add device account
            </button>
          </p>
        </div>
      )
      break
    case 'acl':
      body = (
        <div className="stack">
          <p className="muted">Rules for Weir users on the broker (users need the mqtt_connect permission). Deny rules win over allow rules.</p>
          {mqtt.acl.map((r, i) => (
            <section className="panel" key={i} aria-label={`ACL rule ${i + 1}`}>
              <header>
                <label>
                  For{' '}
                  <select
                    aria-label="rule applies to"
                    value={r.user !== undefined ? 'user' : 'group'}
                    onChange={(e) => {
                      const { user: _u, group: _g, ...rest } = r
                      setMqtt({ acl: mqtt.acl.map((x, j) => (j === i ? (e.target.value === 'user' ? { ...rest, user: '' } : { ...rest, group: '' }) : x)) })
                    }}
                  >
                    <option value="user">user</option>
                    <option value="group">group</option>
                  </select>{' '}
                  <select
                    aria-label="who"
                    value={r.user ?? r.group ?? ''}
                    onChange={(e) => setMqtt({ acl: mqtt.acl.map((x, j) => (j === i ? (r.user !== undefined ? { ...x, user: e.target.value } : { ...x, group: e.target.value }) : x)) })}
                  >
                    <option value="">(choose)</option>
                    {(r.user !== undefined ? cfg.users.map((u) => u.username) : cfg.groups.map((g) => g.name)).map((n) => (
                      <option key={n}>{n}</option>
                    ))}
                  </select>
                </label>
                <button type="button" onClick={() => setMqtt({ acl: mqtt.acl.filter((_, j) => j !== i) })}>
                  Remove rule
                </button>
              </header>
              <IssueAt path={`mqtt.acl[${i}]`} except={['user', 'group', 'publish', 'subscribe', 'deny_publish', 'deny_subscribe']} />
              <IssueAt path={`mqtt.acl[${i}].user`} />
              <IssueAt path={`mqtt.acl[${i}].group`} />
              <AclFields path={`mqtt.acl[${i}]`} acl={r} onChange={(a) => setMqtt({ acl: mqtt.acl.map((x, j) => (j === i ? { ...x, ...a } : x)) })} />
            </section>
          ))}
          <p>
            <button type="button" className="add" onClick={() => setMqtt({ acl: [...mqtt.acl, { group: '', publish: [], subscribe: [] }] })}>
              + Add ACL rule
            </button>
          </p>
        </div>
      )
      break
    case 'topic':
      body = <TopicChecker cfg={base.config} dirty={dirty} />
      break
    case 'raw':
      body = <RawSecurity cfg={cfg} onApply={setCfg} />
      break
    case 'history':
      body = <History base="/api/security/config" onReverted={() => void load()} />
      break
  }
  return (
    <div className="editor">
      <div className="editor-toolbar" role="toolbar" aria-label="Security configuration">
        <span className="mono small muted" title="The version you are editing">
          version {base.version}
        </span>
        {dirty ? <span className="tag dirty">unsaved edits</span> : <span className="muted small">no edits</span>}
        <span className="spacer" />
        <button type="button" onClick={() => void load()} disabled={busy}>
          Reload
        </button>
        <button type="button" className="primary" onClick={() => void save()} disabled={busy || !dirty}>
          Save
        </button>
      </div>
      {status && (
        <p className={'editor-status ' + status.kind} role={status.kind === 'error' ? 'alert' : 'status'} data-field={status.field}>
          {status.text}
        </p>
      )}
      {conflict && <ConflictPanel conflict={conflict} onReload={() => void load()} onOverwrite={() => void mergeOntoTheirs()} />}
      <IssueCtx.Provider value={issue}>
        <div className="editor-body">{body}</div>
      </IssueCtx.Provider>
    </div>
  )
}

// Permissions of a group that the catalogue does not know (typed in the raw JSON): listed so they
// can be seen, and removed, where the server's issue about them is shown.
function UnknownPermissions({ permissions, catalogue, onRemove }: { permissions: string[]; catalogue: Catalogue; onRemove: (name: string) => void }) {
  if (!catalogue.permissions.length) return null
  const known = new Set(catalogue.permissions.flatMap((p) => [p.name, ...p.legacy_names]))
  const unknown = permissions.filter((p) => !known.has(p))
  if (!unknown.length) return null
  return (
    <p className="unknown-permissions small">
      Not in the catalogue:{' '}
      {unknown.map((n) => (
        <span key={n} className="tag abnormal">
          <span className="mono">{n}</span>{' '}
          <button type="button" className="link" aria-label={`remove ${n}`} onClick={() => onRemove(n)}>
            ✕
          </button>
        </span>
      ))}
    </p>
  )
}

function DevicePassword({ isSet, onSet }: { isSet: boolean; onSet: (hash: string) => void }) {
  const [pw, setPw] = useState('')
  return (
    <span className="row">
      <span className="small muted">{isSet ? 'password set' : '✕ no password yet'}</span>
      <input type="password" aria-label="new device password" placeholder="new password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} />
      <button
        type="button"
        disabled={pw.length < 8}
        onClick={() =>
          void sha256hex(pw).then((h) => {
            onSet(h)
            setPw('')
          })
        }
      >
        Set
      </button>
    </span>
  )
}

function Users({
  cfg,
  me,
  summary,
  catalogue,
  groupOpts,
  set,
  action,
}: {
  cfg: SecurityConfig
  me: string
  summary: UserSummary[]
  catalogue: Catalogue
  groupOpts: { name: string }[]
  set: (c: Partial<SecurityConfig>) => void
  action: (path: string, json: unknown, done: string) => Promise<boolean>
}) {
  const [nu, setNu] = useState({ username: '', password: '', groups: [] as string[], allowed_apps: ['scada'], password_change_required: true })
  const [reset, setReset] = useState<{ user: string; password: string } | null>(null)
  const byName = new Map(summary.map((s) => [s.username, s]))
  const setUser = (i: number, u: Partial<User>) => set({ users: cfg.users.map((x, j) => (j === i ? { ...x, ...u } : x)) })

  async function create(e: FormEvent) {
    e.preventDefault()
    if (await action('/api/security/users', nu, `User ${nu.username} created.`)) setNu({ username: '', password: '', groups: [], allowed_apps: ['scada'], password_change_required: true })
  }
  return (
    <div className="stack">
      <section className="panel" aria-label="Users">
        <header>
          <h2>Users</h2>
          <span className="muted small">Groups and apps are edits: Save applies them. Disable and reset act at once.</span>
        </header>
        <table className="table users">
          <thead>
            <tr>
              <th>User</th>
              <th>State</th>
              <th>Groups</th>
              <th>Allowed apps</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {cfg.users.map((u, i) => {
              const s = byName.get(u.username)
              return (
                <tr key={i} data-user={u.username}>
                  <td>
                    <b>{u.username}</b>
                    {u.username === me && <span className="tag">you</span>}
                    {s?.may_edit_security && <span className="tag" title="may edit security">may edit security</span>}
                    <IssueAt path={`users[${i}]`} except={['username', 'password_hash', 'password_change_required', 'groups', 'allowed_apps']} />
                    <IssueAt path={`users[${i}].username`} />
                    <IssueAt path={`users[${i}].password_hash`} />
                    <IssueAt path={`users[${i}].password_change_required`} />
                  </td>
                  <td className="small">
                    {s?.disabled ? <span className="abnormal">⊘ disabled</span> : s?.password_change_required ? <span>⟳ must change password</span> : s ? <span className="muted">active</span> : <span className="muted">(unsaved)</span>}
                  </td>
                  <td>
                    <Checks label={`Groups of ${u.username}`} options={groupOpts} value={u.groups} onChange={(g) => setUser(i, { groups: g })} />
                    <IssueAt path={`users[${i}].groups`} />
                  </td>
                  <td>
                    <Checks label={`Apps of ${u.username}`} options={catalogue.apps} value={u.allowed_apps} onChange={(a) => setUser(i, { allowed_apps: a })} />
                    <IssueAt path={`users[${i}].allowed_apps`} />
                  </td>
                  <td className="actions">
                    <button type="button" disabled={!s || s.disabled} onClick={() => confirm(`Disable ${u.username}? Their sessions and MQTT connections end now.`) && void action(`/api/security/users/${encodeURIComponent(u.username)}/disable`, {}, `${u.username} disabled.`)}>
                      Disable
                    </button>{' '}
                    <button type="button" disabled={!s} onClick={() => setReset({ user: u.username, password: '' })}>
                      Reset password…
                    </button>{' '}
                    <button type="button" className="link" title="Remove from the configuration (Save applies it)" onClick={() => set({ users: cfg.users.filter((_, j) => j !== i) })}>
                      ✕
                    </button>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
        {reset && (
          <form
            className="dialog"
            aria-label="Reset password"
            onSubmit={(e) => {
              e.preventDefault()
              void action(`/api/security/users/${encodeURIComponent(reset.user)}/reset-password`, { password: reset.password }, `${reset.user} has a new password (to change at the next login); their sessions ended.`).then((ok) => ok && setReset(null))
            }}
          >
            New password for <b>{reset.user}</b>
            <IssueAt path="reset_password" />
            <input type="password" aria-label="new password" autoComplete="new-password" required value={reset.password} onChange={(e) => setReset({ ...reset, password: e.target.value })} />
            <button type="submit" className="primary">
              Reset
            </button>
            <button type="button" onClick={() => setReset(null)}>
              Cancel
            </button>
          </form>
        )}
      </section>
      <section className="panel" aria-label="New user">
        <header>
          <h2>New user</h2>
        </header>
        <form className="new-user" onSubmit={(e) => void create(e)}>
          <label>
            User name <input name="new-username" aria-label="new user name" required value={nu.username} onChange={(e) => setNu({ ...nu, username: e.target.value })} />
          </label>
          <label>
            Password <input name="new-password" aria-label="new user password" type="password" autoComplete="new-password" required value={nu.password} onChange={(e) => setNu({ ...nu, password: e.target.value })} />
          </label>
          <div>
            Groups <Checks label="new user groups" options={groupOpts} value={nu.groups} onChange={(g) => setNu({ ...nu, groups: g })} />
          </div>
          <div>
            Apps <Checks label="new user apps" options={catalogue.apps} value={nu.allowed_apps} onChange={(a) => setNu({ ...nu, allowed_apps: a })} />
          </div>
          <label>
            <input type="checkbox" checked={nu.password_change_required} onChange={(e) => setNu({ ...nu, password_change_required: e.target.checked })} /> must change the password at the first login
          </label>
          <IssueAt path="new_user" />
          <button type="submit" className="primary">
            Create user
          </button>
        </form>
      </section>
    </div>
  )
}

function TopicChecker({ cfg, dirty }: { cfg: SecurityConfig; dirty: boolean }) {
  const [topic, setTopic] = useState('')
  const [who, setWho] = useState('')
  const [result, setResult] = useState<TopicAccess[] | null>(null)
  const [error, setError] = useState('')
  async function check(e: FormEvent) {
    e.preventDefault()
    const [kind, name] = who ? who.split(':') : ['', '']
    const r = await call<{ items: TopicAccess[] }>('/api/security/check-topic', { json: { topic, ...(kind === 'user' ? { username: name } : kind === 'device' ? { device: name } : {}) } })
    if (r.ok) {
      setResult(r.body.items)
      setError('')
    } else {
      setResult(null)
      setError(r.error!.message)
    }
  }
  const yes = (b: boolean) => <span className={b ? 'access-yes' : 'access-no'}>{b ? '✓ yes' : '✕ no'}</span>
  return (
    <section className="panel" aria-label="Topic checker">
      <header>
        <h2>Who may publish / subscribe to this topic?</h2>
      </header>
      {dirty && <p className="notice">Checked against the saved configuration, not your unsaved edits.</p>}
      <form className="row" onSubmit={(e) => void check(e)}>
        <input className="mono" aria-label="topic" placeholder="sensors/esp32/temperature" required value={topic} onChange={(e) => setTopic(e.target.value)} size={40} />
        <select aria-label="account" value={who} onChange={(e) => setWho(e.target.value)}>
          <option value="">every account</option>
          {cfg.users.map((u) => (
            <option key={'u' + u.username} value={'user:' + u.username}>
              user {u.username}
            </option>
          ))}
          {(cfg.mqtt?.devices ?? []).map((d) => (
            <option key={'d' + d.username} value={'device:' + d.username}>
              device {d.username}
            </option>
          ))}
        </select>
        <button type="submit" className="primary">
          Check
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <table className="table topic-result">
          <thead>
            <tr>
              <th>Account</th>
              <th>Connect</th>
              <th>Publish</th>
              <th>Subscribe</th>
            </tr>
          </thead>
          <tbody>
            {result.map((a) => (
              <tr key={a.kind + a.name} data-account={`${a.kind}:${a.name}`}>
                <td>
                  {a.kind} <b>{a.name}</b>
                </td>
                <td>{yes(a.connect)}</td>
                <td data-publish={a.publish}>{yes(a.publish)}</td>
                <td data-subscribe={a.subscribe}>{yes(a.subscribe)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function RawSecurity({ cfg, onApply }: { cfg: SecurityConfig; onApply: (c: SecurityConfig) => void }) {
  const [text, setText] = useState(() => JSON.stringify(cfg, null, 2))
  const [error, setError] = useState('')
  useEffect(() => setText(JSON.stringify(cfg, null, 2)), [cfg])
  return (
    <section className="panel raw" aria-label="Raw JSON">
      <header>
        <h2>security_config.json</h2>
        <span className="muted small">password_hash "" keeps the current password</span>
      </header>
      <textarea
        className="mono raw-json"
        aria-label="Raw JSON"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          try {
            onApply(JSON.parse(e.target.value) as SecurityConfig)
            setError('')
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
