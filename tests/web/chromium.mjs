// Debian's Chromium as every browser test and benchmark starts it: headless, in a throw-away
// profile, with a resolver that fails every name but 127.0.0.1 (belt and braces: nothing can leave
// the machine even if a page's request routing missed something). Closing the context removes
// the profile.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const { chromium } = createRequire(join(repo, 'web', 'package.json'))('playwright-core')

export async function launchChromium({ executablePath, viewport = { width: 1440, height: 900 }, extraArgs = [] }) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'weir-chromium-'))
  const removeProfile = () => rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 })
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      viewport,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        ...extraArgs,
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    })
    // The profile goes once the browser has exited (after close() resolves, not on the 'close'
    // event, when Chromium may still be writing into it).
    const close = context.close.bind(context)
    context.close = async (...args) => {
      try {
        await close(...args)
      } finally {
        removeProfile()
      }
    }
    return context
  } catch (e) {
    removeProfile()
    throw e
  }
}
