// /api/docs/: the REST API reference, rendered by Scalar from /api/openapi.json.
// Bundled (no CDN); configured so that nothing is fetched from outside the server.
import './zod-jitless'
import '@scalar/api-reference/style.css'
import '../shared/weir.css'
import { createApiReference } from '@scalar/api-reference'

createApiReference('#weir-api-docs', {
  url: '/api/openapi.json',
  // Scalar's default fonts (Inter, JetBrains Mono) come from fonts.scalar.com: use system fonts.
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  // "Try it" requests go straight to this server; never through Scalar's public proxy.
  proxyUrl: undefined,
  theme: 'default',
  layout: 'modern',
  defaultOpenAllTags: true,
  hideModels: false,
})
