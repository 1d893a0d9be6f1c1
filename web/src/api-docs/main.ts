// /api/docs/: the REST API reference, rendered by Scalar from /api/openapi.json.
// Bundled (no CDN); configured so that nothing is fetched from outside the server.
//
// Scalar is imported dynamically so that ./zod-jitless.ts has certainly run before any of
// Scalar's modules (static imports of shared chunks would be evaluated first).
import './zod-jitless'
import '@scalar/api-reference/style.css'
import '../common/weir.css'

const container = document.getElementById('weir-api-docs')!

async function main(): Promise<void> {
  const { createApiReference } = await import('@scalar/api-reference')
  container.replaceChildren()
  createApiReference(container, {
    url: '/api/openapi.json',
    // Scalar's default fonts (Inter, JetBrains Mono) come from fonts.scalar.com: system fonts.
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    showDeveloperTools: 'never',
    documentDownloadType: 'json',
    // The "Open API Client" buttons open Scalar's hosted client (client.scalar.com) with this
    // document's URL; the built-in "Test Request" client stays.
    hideClientButton: true,
    // "Try it" requests go straight to this server, never through Scalar's public proxy.
    proxyUrl: undefined,
    theme: 'default',
    layout: 'modern',
    defaultOpenAllTags: true,
  })
}

main().catch((err: unknown) => {
  const p = document.createElement('p')
  p.className = 'weir-error'
  p.textContent = `Could not load the REST API reference: ${String(err)}`
  container.replaceChildren(p)
})
