// Weir web front-ends: one Vite multi-page build into dist/.
//
// Every page lives at dist/<page>/index.html; every script, stylesheet, font and image of every
// page lives flat in dist/assets/ and is referenced by absolute path /assets/<name>-<hash>.<ext>.
// The server maps (see README.md):
//   /api/docs/   -> dist/api-docs/index.html
//   /mqtt/docs/  -> dist/mqtt-docs/index.html
//   /scada/      -> dist/scada/index.html  (the operator app; client-side routes /scada/<view>)
//   /config-editor/, /security-editor/ -> dist/<page>/index.html (the editors; #section)
//   /assets/*    -> dist/assets/*   (content-hashed: cache forever)
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { createLogger, defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'

const here = import.meta.dirname

// @asyncapi/parser imports @asyncapi/specs (the JSON Schemas of every AsyncAPI version, ~1 MB)
// only to validate and to list the known versions. The MQTT docs page never validates (see
// src/mqtt-docs/asyncapi-document.ts), so it gets the list of versions and no schemas.
function asyncApiSpecsVersionsOnly(): Plugin {
  const id = '\0weir:asyncapi-specs-versions'
  return {
    name: 'weir-asyncapi-specs-versions-only',
    enforce: 'pre',
    resolveId(source) {
      return source === '@asyncapi/specs' ? id : null
    },
    load(loaded) {
      if (loaded !== id) return null
      const specs = createRequire(import.meta.url)('@asyncapi/specs') as { schemas: object }
      const schemas = Object.fromEntries(Object.keys(specs.schemas).map((v) => [v, {}]))
      return `const schemas = ${JSON.stringify(schemas)};\n` +
        'export { schemas, schemas as schemasWithoutId };\n' +
        'export default { schemas, schemasWithoutId: schemas };\n'
    },
  }
}

// The AsyncAPI component's package graph names Node built-ins (fs, util, stream, ...) in modules
// this build tree-shakes away (the full parser, Avro and Protobuf parsers). Vite warns about each
// one; those warnings say nothing about what ships, so they are dropped. Any other warning stays.
const logger = createLogger()
const warn = logger.warn.bind(logger)
logger.warn = (msg, options) => {
  if (msg.includes('has been externalized for browser compatibility')) return
  warn(msg, options)
}

export default defineConfig({
  root: here,
  customLogger: logger,
  base: '/',
  plugins: [react(), asyncApiSpecsVersionsOnly()],
  resolve: {
    alias: [
      // The AsyncAPI React component takes one helper from the parser's CommonJS copy; use the
      // ES module copy the rest of it uses (one copy of the document models in the bundle).
      {
        find: /^@asyncapi\/parser\/cjs\/document$/,
        replacement: resolve(here, 'node_modules/@asyncapi/parser/esm/document.js'),
      },
    ],
  },
  // Nothing may reach a CDN or need 'unsafe-eval' at run time; see README.md.
  define: {
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Fonts and icons stay files: no data: URLs needed beyond what the CSP allows anyway.
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: true,
    rolldownOptions: {
      input: {
        'api-docs': resolve(here, 'api-docs/index.html'),
        'mqtt-docs': resolve(here, 'mqtt-docs/index.html'),
        scada: resolve(here, 'scada/index.html'),
        'config-editor': resolve(here, 'config-editor/index.html'),
        'security-editor': resolve(here, 'security-editor/index.html'),
      },
    },
  },
})
