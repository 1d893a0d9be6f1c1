// SVG layouts: the process images with their bindings (unknown datapoints marked), a preview, an
// upload (sanitised and versioned by the server; replacing sends If-Match), delete, and each
// layout's versions with revert.
import { useCallback, useEffect, useState } from 'react'
import { call, type VersionInfo } from '../editor-common/http'

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

export function SvgLayouts() {
  const [files, setFiles] = useState<SvgFile[]>([])
  const [warnings, setWarnings] = useState<string[]>([])
  const [ids, setIds] = useState<Set<string>>(new Set())
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
    void call<{ items: { id: string }[] }>('/api/datapoints?limit=10000').then((r) => r.ok && setIds(new Set(r.body.items.map((d) => d.id))))
  }, [load])
  useEffect(() => {
    if (!selected) return setVersions(null)
    void call<{ current: string; items: VersionInfo[] }>(`/api/svg/${encodeURIComponent(selected)}/versions`).then((r) => setVersions(r.ok ? r.body : null))
  }, [selected, stamp])

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
              const unknown = [...f.bindings.map((b) => b.datapoint), ...f.commands.map((c) => c.datapoint)].filter((d) => d && !ids.has(d))
              return (
                <tr key={f.name} aria-selected={f.name === selected}>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(f.name)}>
                      {f.name}
                    </button>
                  </td>
                  <td className="num">{f.bytes}</td>
                  <td className="num">{f.bindings.length + f.commands.length}</td>
                  <td className={unknown.length ? 'error' : 'muted'}>{unknown.length ? [...new Set(unknown)].join(', ') : 'none'}</td>
                  <td className="actions">
                    <button type="button" onClick={() => void remove(f.name)}>
                      Delete
                    </button>
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
            </header>
            {file ? <img className="svg-preview" alt={`Preview of ${selected}`} src={`${file.url}?v=${stamp}`} /> : <p className="muted">Deleted: revert a version to bring it back.</p>}
            {file && (
              <table className="table compact">
                <thead>
                  <tr>
                    <th>Element</th>
                    <th>Datapoint</th>
                    <th>Animation / command</th>
                  </tr>
                </thead>
                <tbody>
                  {file.bindings.map((b) => (
                    <tr key={'b' + b.element}>
                      <td className="mono">{b.element}</td>
                      <td className={'mono' + (ids.has(b.datapoint) ? '' : ' error')}>{b.datapoint}</td>
                      <td>{b.animation}</td>
                    </tr>
                  ))}
                  {file.commands.map((c) => (
                    <tr key={'c' + c.element}>
                      <td className="mono">{c.element}</td>
                      <td className={'mono' + (ids.has(c.datapoint) ? '' : ' error')}>{c.datapoint}</td>
                      <td>command {c.value}</td>
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
                      {v.id !== versions?.current && (
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
