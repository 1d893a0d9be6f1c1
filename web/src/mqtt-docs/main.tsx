// /mqtt/docs/: the MQTT API reference, rendered by the AsyncAPI React component from
// /mqtt/asyncapi.json. Bundled (no CDN).
//
// CSP: the component's default entry point parses with @asyncapi/parser's full Spectral ruleset,
// whose JSON Schema checks compile validators with Ajv (new Function) and so need
// 'unsafe-eval'. Weir's CSP does not allow that. So this page parses the document itself with
// the same parser but without Spectral rules: $refs are resolved and the document model is
// built exactly as the component expects, but the document is not validated here (the server's
// tests validate what it publishes). Then it renders with the parser-less component.
import '@asyncapi/react-component/styles/default.min.css'
import '../shared/weir.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { Parser } from '@asyncapi/parser'
import AsyncApiComponent from '@asyncapi/react-component/lib/esm/without-parser'

const SPEC_URL = '/mqtt/asyncapi.json'

const config = {
  show: {
    sidebar: true,
    info: true,
    servers: true,
    operations: true,
    messages: true,
    schemas: true,
    errors: true,
  },
  sidebar: { showServers: 'byDefault', showOperations: 'byDefault' },
} as const

function showError(container: HTMLElement, message: string): void {
  const p = document.createElement('p')
  p.className = 'weir-error'
  p.textContent = `Could not load the MQTT API description: ${message}`
  container.replaceChildren(p)
}

async function main(container: HTMLElement): Promise<void> {
  const response = await fetch(SPEC_URL, { headers: { Accept: 'application/json' } })
  if (!response.ok) throw new Error(`GET ${SPEC_URL}: ${response.status} ${response.statusText}`)
  const text = await response.text()
  const parser = new Parser({ ruleset: { core: false, recommended: false } })
  const { document, diagnostics } = await parser.parse(text, { source: SPEC_URL })
  if (!document) {
    const lines = diagnostics.map((d) => `${d.path.join('.') || '(document)'}: ${d.message}`)
    showError(container, lines.join('\n') || 'unparseable document')
    return
  }
  createRoot(container).render(
    <StrictMode>
      <AsyncApiComponent schema={document} config={config} />
    </StrictMode>,
  )
}

const container = document.getElementById('weir-mqtt-docs')!
main(container).catch((err: unknown) => showError(container, String(err)))
