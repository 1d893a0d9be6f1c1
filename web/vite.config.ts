// Weir web front-ends: one Vite multi-page build into dist/.
//
// Every page lives at dist/<page>/index.html; every script, stylesheet, font and image of every
// page lives flat in dist/assets/ and is referenced by absolute path /assets/<name>-<hash>.<ext>.
// The server maps (see README.md):
//   /api/docs/   -> dist/api-docs/index.html
//   /mqtt/docs/  -> dist/mqtt-docs/index.html
//   /assets/*    -> dist/assets/*   (content-hashed: cache forever)
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

const here = import.meta.dirname

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
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
      },
    },
  },
})
