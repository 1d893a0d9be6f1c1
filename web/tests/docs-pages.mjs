#!/usr/bin/env node
// Drives Debian's Chromium (headless, through playwright-core) over the two documentation
// pages served by a Weir-like server, and checks that they render under the server's CSP
// without console errors, CSP violations or any request leaving 127.0.0.1.
//
// Usage: node tests/docs-pages.mjs --base http://127.0.0.1:PORT [--screenshots DIR]
//          [--expect-api TEXT] [--expect-mqtt TEXT] [--chromium /usr/bin/chromium] [--timeout MS]
// Prints one JSON report on stdout; exits 0 only if every check passed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    screenshots: { type: 'string', default: tmpdir() },
    'expect-api': { type: 'string', default: 'List datapoints' },
    'expect-mqtt': { type: 'string', default: 'sensors/{device}' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '30000' },
  },
})
if (!opt.base) {
  console.error('--base is required')
  process.exit(2)
}
const base = new URL(opt.base)
if (base.hostname !== '127.0.0.1') {
  console.error('--base must be on 127.0.0.1')
  process.exit(2)
}
const timeout = Number(opt.timeout)

const pages = [
  {
    name: 'api-docs',
    path: '/api/docs/',
    title: /REST API/,
    // Scalar shows the operation's summary in the sidebar and in the operation's section.
    expect: opt['expect-api'],
    // Then its built-in client sends GET /api/datapoints to this server and shows the answer.
    interact: async (page, result) => {
      await page.getByRole('button', { name: /Test Request.*get \/api\/datapoints/ }).click()
      await page.getByRole('button', { name: /^Send get request/ }).click()
      await page.getByText('200 OK').first().waitFor({ state: 'visible' })
      await page.getByText('TANK_01@LEVEL').first().waitFor({ state: 'visible' })
      result.clientButtons = await page.getByText('Open API Client').count()
      await page.screenshot({ path: join(opt.screenshots, 'weir-api-docs-client.png') })
      return result.clientButtons === 0 ? null : 'Scalar shows "Open API Client" (leads off-site)'
    },
  },
  {
    name: 'mqtt-docs',
    path: '/mqtt/docs/',
    title: /MQTT API/,
    // The AsyncAPI component shows each operation's channel address.
    expect: opt['expect-mqtt'],
  },
]

// Collects CSP violations from inside the page (init scripts are injected by the browser, not
// by the page, so the page's CSP does not apply to this one).
const cspListener = () => {
  window.__weirCsp = []
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__weirCsp.push(
      `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`,
    )
  })
}

const userDataDir = mkdtempSync(join(tmpdir(), 'weir-chromium-'))
const report = { ok: false, pages: [], offsite: [], failures: [] }
let context
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: opt.chromium,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Belt and braces: any name but 127.0.0.1 fails to resolve, so nothing can leave even
      // if the routing below missed a request.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  })
  context.setDefaultTimeout(timeout)
  await context.addInitScript(cspListener)
  // Every request of every page (and worker) goes through here: anything not for our
  // server is recorded and refused.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    const local = url.protocol === 'data:' || url.protocol === 'blob:' ||
      (url.hostname === '127.0.0.1' && url.port === base.port)
    if (local) return route.continue()
    report.offsite.push(route.request().url())
    return route.abort('blockedbyclient')
  })

  for (const spec of pages) {
    const page = await context.newPage()
    const result = { name: spec.name, url: new URL(spec.path, base).href, console: [], errors: [],
      requests: [], failedRequests: [], csp: [] }
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        result.console.push(`${msg.type()}: ${msg.text()}`)
      }
    })
    page.on('pageerror', (err) => result.errors.push(String(err)))
    page.on('request', (req) => result.requests.push(req.url()))
    page.on('requestfailed', (req) => result.failedRequests.push(`${req.url()} ${req.failure()?.errorText}`))
    page.on('response', (res) => {
      if (res.status() >= 400) result.failedRequests.push(`${res.url()} HTTP ${res.status()}`)
    })

    const started = Date.now()
    const response = await page.goto(result.url, { waitUntil: 'load' })
    result.status = response?.status()
    result.csp_header = response?.headers()['content-security-policy'] ?? null
    try {
      await page.getByText(spec.expect, { exact: false }).first().waitFor({ state: 'visible' })
      result.rendered = true
    } catch (e) {
      result.rendered = false
      result.renderError = String(e).split('\n')[0]
    }
    result.renderMs = Date.now() - started
    await page.waitForLoadState('networkidle').catch(() => {})
    await page.screenshot({ path: join(opt.screenshots, `weir-${spec.name}.png`) })
    result.screenshot = join(opt.screenshots, `weir-${spec.name}.png`)
    if (result.rendered && spec.interact) {
      try {
        result.interactError = await spec.interact(page, result)
      } catch (e) {
        result.interactError = String(e).split('\n')[0]
      }
    }
    // Let lazy chunks, fonts and images settle before judging.
    await page.waitForLoadState('networkidle').catch(() => {})
    await page.waitForTimeout(300)
    result.header = await page.locator('header.weir-header').isVisible()
    result.headerLinks = await page.locator('header.weir-header a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    result.title = await page.title()
    result.csp = await page.evaluate(() => window.__weirCsp ?? ['(listener missing)'])

    const fail = (what) => report.failures.push(`${spec.name}: ${what}`)
    if (result.status !== 200) fail(`HTTP ${result.status}`)
    if (!result.csp_header) fail('no Content-Security-Policy header')
    if (!result.rendered) fail(`"${spec.expect}" never appeared (${result.renderError})`)
    if (result.interactError) fail(`interaction: ${result.interactError}`)
    if (!result.header) fail('Weir header not visible')
    for (const href of ['/api/docs/', '/mqtt/docs/']) {
      if (!result.headerLinks.includes(href)) fail(`header lacks a link to ${href}`)
    }
    if (!spec.title.test(result.title)) fail(`title "${result.title}"`)
    for (const c of result.csp) fail(`CSP violation: ${c}`)
    for (const c of result.console) fail(`console ${c}`)
    for (const e of result.errors) fail(`page error: ${e}`)
    for (const r of result.failedRequests) fail(`request failed: ${r}`)
    for (const r of result.requests) {
      const u = new URL(r)
      if (!['data:', 'blob:'].includes(u.protocol) && u.host !== base.host) fail(`request off the server: ${r}`)
    }
    report.pages.push(result)
    await page.close()
  }
  for (const r of report.offsite) report.failures.push(`request left 127.0.0.1: ${r}`)
  report.ok = report.failures.length === 0
} catch (e) {
  report.failures.push(`driver: ${e?.stack ?? e}`)
} finally {
  await context?.close().catch(() => {})
  rmSync(userDataDir, { recursive: true, force: true })
}
console.log(JSON.stringify(report, null, 2))
process.exit(report.ok ? 0 : 1)
