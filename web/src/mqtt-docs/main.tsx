// /mqtt/docs/: the MQTT API reference, rendered by the AsyncAPI React component from
// /mqtt/asyncapi.json. Bundled (no CDN).
import '@asyncapi/react-component/styles/default.min.css'
import '../shared/weir.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import AsyncApiComponent from '@asyncapi/react-component'

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

async function main(container: HTMLElement): Promise<void> {
  const response = await fetch(SPEC_URL, { headers: { Accept: 'application/json' } })
  if (!response.ok) throw new Error(`GET ${SPEC_URL}: ${response.status} ${response.statusText}`)
  const schema = await response.text()
  createRoot(container).render(
    <StrictMode>
      <AsyncApiComponent schema={schema} config={config} />
    </StrictMode>,
  )
}

const container = document.getElementById('weir-mqtt-docs')!
main(container).catch((err: unknown) => {
  const p = document.createElement('p')
  p.className = 'weir-error'
  p.textContent = `Could not load the MQTT API description: ${String(err)}`
  container.replaceChildren(p)
})
