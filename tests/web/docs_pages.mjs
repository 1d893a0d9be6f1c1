#!/usr/bin/env node
// Drives Debian's Chromium (headless, through web/'s playwright-core) over the two documentation
// pages of a running weir, and checks that they render under its CSP without console errors,
// CSP violations or any request leaving the server; then sends one request through Scalar's
// "Test Request" client, first without a session (401) and then with a bearer token.
//
// Usage: node tests/web/docs_pages.mjs --base http://127.0.0.1:PORT --token TOKEN
//          [--expect-api TEXT]... [--expect-mqtt TEXT]... [--try-operation 'get /api/datapoints']
//          [--try-expect TEXT] [--screenshots DIR] [--chromium /usr/bin/chromium] [--timeout MS]
// Prints one JSON report on stdout; exits 0 only if every check passed. Run by
// tests/web/test_docs_pages.py, which starts weir and picks the expectations from its documents.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

import { launchChromium } from './chromium.mjs'


const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    token: { type: 'string' },
    screenshots: { type: 'string', default: tmpdir() },
    'expect-api': { type: 'string', multiple: true, default: [] },
    'expect-mqtt': { type: 'string', multiple: true, default: [] },
    'try-operation': { type: 'string', default: 'get /api/datapoints' },
    'try-expect': { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '30000' },
  },
})
if (!opt.base || !opt.token || !opt['expect-api'].length || !opt['expect-mqtt'].length) {
  console.error('--base, --token, --expect-api and --expect-mqtt are required')
  process.exit(2)
}
const base = new URL(opt.base)
if (base.hostname !== '127.0.0.1') {
  console.error('--base must be on 127.0.0.1')
  process.exit(2)
}
const timeout = Number(opt.timeout)
const [tryMethod, tryPath] = opt['try-operation'].split(' ')
const tryUrl = new URL(tryPath, base).href
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// Scalar's client: the operation's "Test Request" button, then "Send"; the answer's status is
// shown as e.g. "401 Unauthorized". Every attempt is recorded with what the browser sent.
async function sendTestRequest(page, result, label) {
  const sent = page.waitForRequest((r) => r.url() === tryUrl && r.method() === tryMethod.toUpperCase())
  await page.getByRole('button', { name: new RegExp(`^Send ${tryMethod} request`, 'i') }).click()
  const request = await sent
  const response = await request.response()
  const attempt = {
    label,
    status: response?.status() ?? null,
    authorization: (await request.allHeaders()).authorization ?? null,
  }
  result.tryRequests.push(attempt)
  return attempt
}

const pages = [
  {
    name: 'api-docs',
    path: '/api/docs/',
    title: /REST API/,
    // Scalar shows each operation's summary in the sidebar and in the operation's section.
    expect: opt['expect-api'],
    // A request through the client needs a session: without one weir answers 401 (and Scalar
    // shows it); with the bearer token entered in the client's auth section, 200 and the data.
    expectedStatus: (url, status) => url === tryUrl && status === 401,
    interact: async (page, result) => {
      result.tryRequests = []
      await page.getByRole('button', {
        name: new RegExp(`Test Request.*${escape(tryMethod)} ${escape(tryPath)}`, 'i'),
      }).first().click()
      const without = await sendTestRequest(page, result, 'no session')
      if (without.status !== 401) return `without a session: HTTP ${without.status}, not 401`
      await page.getByText('401 Unauthorized').first().waitFor({ state: 'visible' })

      const token = page.getByPlaceholder(/token/i).first()
      await token.waitFor({ state: 'visible' })
      await token.fill(opt.token)
      const withToken = await sendTestRequest(page, result, 'bearer token')
      if (withToken.authorization !== `Bearer ${opt.token}`) {
        return `the client sent Authorization "${withToken.authorization}", not the token`
      }
      if (withToken.status !== 200) return `with the token: HTTP ${withToken.status}, not 200`
      await page.getByText('200 OK').first().waitFor({ state: 'visible' })
      if (opt['try-expect']) await page.getByText(opt['try-expect']).first().waitFor({ state: 'visible' })
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
    expectedStatus: () => false,
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

const report = { ok: false, pages: [], offsite: [], failures: [] }
let context
try {
  context = await launchChromium({ executablePath: opt.chromium, viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(timeout)
  await context.addInitScript(cspListener)
  // Every request of every page (and worker) goes through here: anything not for weir is
  // recorded and refused.
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
      requests: [], failedRequests: [], csp: [], missing: [], documentValidation: [] }
    const pending = []
    page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return
      // The browser logs every HTTP error it receives; the 401 asked for above is no fault.
      if (msg.type() === 'error' && spec.expectedStatus(msg.location()?.url, 401) &&
          /401/.test(msg.text())) return
      // Scalar checks the document against its own schema and logs what it rejects as two
      // warnings: a heading, then the list of {path, message}. Reported apart (the test judges).
      if (msg.type() === 'warning' && msg.text().startsWith('document validation errors')) return
      pending.push((async () => {
        const first = await msg.args()[0]?.jsonValue().catch(() => null)
        if (msg.type() === 'warning' && Array.isArray(first) && first.length &&
            first.every((e) => e && typeof e.path === 'string' && typeof e.message === 'string')) {
          for (const e of first) result.documentValidation.push(`${e.path}: ${e.message}`)
        } else {
          result.console.push(`${msg.type()}: ${msg.text()}`)
        }
      })())
    })
    page.on('pageerror', (err) => result.errors.push(String(err)))
    page.on('request', (req) => result.requests.push(req.url()))
    page.on('requestfailed', (req) => result.failedRequests.push(`${req.url()} ${req.failure()?.errorText}`))
    page.on('response', (res) => {
      if (res.status() >= 400 && !spec.expectedStatus(res.url(), res.status())) {
        result.failedRequests.push(`${res.url()} HTTP ${res.status()}`)
      }
    })

    const response = await page.goto(result.url, { waitUntil: 'load' })
    result.status = response?.status()
    result.headers = response?.headers() ?? {}
    for (const text of spec.expect) {
      try {
        await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible' })
      } catch (e) {
        result.missing.push(`${text} (${String(e).split('\n')[0]})`)
      }
    }
    result.rendered = result.missing.length === 0
    await page.waitForLoadState('networkidle').catch(() => {})
    result.screenshot = join(opt.screenshots, `weir-${spec.name}.png`)
    await page.screenshot({ path: result.screenshot })
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
    await Promise.all(pending)

    const fail = (what) => report.failures.push(`${spec.name}: ${what}`)
    if (result.status !== 200) fail(`HTTP ${result.status}`)
    if (!result.headers['content-security-policy']) fail('no Content-Security-Policy header')
    for (const m of result.missing) fail(`"${m}" never appeared`)
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
}
console.log(JSON.stringify(report, null, 2))
process.exit(report.ok ? 0 : 1)
