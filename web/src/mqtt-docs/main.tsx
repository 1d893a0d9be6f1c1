// /mqtt/docs/: the MQTT API reference, rendered by the AsyncAPI React component from
// /mqtt/asyncapi.json. Bundled (no CDN).
//
// CSP: the component's default entry point parses with @asyncapi/parser, which loads Spectral,
// which compiles Ajv validators with `new Function` when it loads: that needs 'unsafe-eval',
// which Weir's CSP does not grant. So this page builds the parsed document itself
// (./asyncapi-document.ts) and renders it with the component's parser-less entry point.
import '@asyncapi/react-component/styles/default.min.css'
import '../common/weir.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import AsyncApiComponent from '@asyncapi/react-component/lib/esm/without-parser'
import { parseAsyncApi } from './asyncapi-document'

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
  const document = await parseAsyncApi(text, SPEC_URL)
  createRoot(container).render(
    <StrictMode>
      <AsyncApiComponent schema={document} config={config} />
    </StrictMode>,
  )
}

const container = document.getElementById('weir-mqtt-docs')!
main(container).catch((err: unknown) => showError(container, String(err)))
