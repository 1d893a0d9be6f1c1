#!/usr/bin/env node
// Drives Debian's Chromium (headless, playwright-core from web/) through the operator app of a
// running weir started with the demo configuration, as one user: logs in, renders the views asked
// for (screenshots at 1440x900 and 1024x768, light and dark) and runs the checks asked for (the
// CHECKS table below: one or more per view; each test file tests/web/test_operator_<view>.py asks
// for its own). Every request is watched: anything not for weir on 127.0.0.1 is refused and
// reported.
//
// Usage: node tests/web/operator_app.mjs --base http://127.0.0.1:PORT --user U --password P
//          --role admin|viewer [--views a,b] [--checks x,y] [--args JSON]
//          [--screenshots DIR] [--chromium /usr/bin/chromium] [--timeout MS]
// Prints one JSON report on stdout; exits 0 only if every check passed.
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

import { launchChromium } from './chromium.mjs'


const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    role: { type: 'string', default: 'admin' },
    screenshots: { type: 'string', default: tmpdir() },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '15000' },
    views: { type: 'string', default: '' },
    checks: { type: 'string', default: '' },
    args: { type: 'string', default: '{}' }, // per-check arguments, e.g. {"trend": {"tag": ..., "values": [...]}}
  },
})
if (!opt.base || !opt.user || !opt.password) {
  console.error('--base, --user and --password are required')
  process.exit(2)
}
const base = new URL(opt.base)
if (base.hostname !== '127.0.0.1') {
  console.error('--base must be on 127.0.0.1')
  process.exit(2)
}
mkdirSync(opt.screenshots, { recursive: true })
const timeout = Number(opt.timeout)
const checkArgs = JSON.parse(opt.args)
const list = (s) => s.split(',').filter(Boolean)
const report = { ok: false, role: opt.role, checksPassed: [], steps: [], offsite: [], failures: [], console: [], screenshots: [] }
const fail = (what) => report.failures.push(what)

// What shows that a view has rendered (beyond the tab being current).
const READY = {
  overview: '.overview .kv',
  graphics: '.svg-host svg',
  alarms: '[data-testid=active-alarms]',
  datapoints: '[data-testid=datapoints] tr[data-dp]',
  commands: '[data-testid=command-history]',
  communications: '[data-testid=drivers] tr[data-driver]',
  devices: '[data-device], .view .muted',
  trends: '[data-testid=trend-chart], .not-available',
  map: '[data-testid=map], .not-available',
  streams: 'video, .not-available',
  tracking: '[data-testid=tracking-recent], .not-available',
}

async function step(name, fn) {
  const t0 = Date.now()
  try {
    await fn()
    report.steps.push({ name, ok: true, ms: Date.now() - t0 })
  } catch (e) {
    report.steps.push({ name, ok: false, ms: Date.now() - t0, error: String(e).split('\n').slice(0, 3).join(' | ') })
    fail(`${name}: ${String(e).split('\n').slice(0, 3).join(' | ')}`)
  }
}

async function shoot(page, name) {
  const path = join(opt.screenshots, `operator-${opt.role}-${name}.png`)
  await page.screenshot({ path })
  report.screenshots.push(path)
}

// The desktop and tablet sizes, light and dark; back to desktop light after.
async function shootAll(page, name) {
  for (const [theme, w, h] of [['light', 1440, 900], ['dark', 1440, 900], ['light', 1024, 768], ['dark', 1024, 768]]) {
    await page.setViewportSize({ width: w, height: h })
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme)
    await page.waitForTimeout(50) // a resize re-lays the view out (charts, map) before the shot
    await shoot(page, `${name}-${w}-${theme}`)
  }
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.evaluate(() => (document.documentElement.dataset.theme = 'light'))
}

async function login(page) {
  await page.getByLabel('User name').fill(opt.user)
  await page.getByLabel('Password', { exact: true }).fill(opt.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  // A password set by an administrator must be changed first (the forced password change).
  await page.locator('header.topbar, form[aria-label="Change password"]').first().waitFor()
  if (await page.locator('form[aria-label="Change password"]').count()) {
    const next = `${opt.password}-new`
    await page.getByLabel('Current password').fill(opt.password)
    await page.getByLabel('New password', { exact: true }).fill(next)
    await page.getByLabel('New password again').fill(next)
    await page.getByRole('button', { name: 'Change password' }).click()
    opt.password = next
    report.forcedPasswordChange = true
  }
  await page.locator('header.topbar').waitFor()
  await page.locator('[data-conn=online]').waitFor()
}

const apiStatus = (page, method, path, body) =>
  page.evaluate(
    async ([m, p, b]) => (await fetch(p, { method: m, headers: { 'Content-Type': 'application/json' }, body: b ? JSON.stringify(b) : undefined })).status,
    [method, path, body],
  )

// The demo clip plays in the Streams view with the given player (native | hls.js): a decoded
// picture, readyState >= 2 and currentTime advancing.
async function videoPlays(page, player) {
  await page.goto(new URL(`/scada/streams${player === 'hls.js' ? '?player=hls.js' : ''}`, base).href)
  await page.locator('main.view[data-view=streams]').waitFor()
  const video = page.locator('video[data-stream=demo_clip]')
  await video.waitFor()
  await page.waitForFunction(() => {
    const v = document.querySelector('video[data-stream=demo_clip]')
    return v && v.readyState >= 2 && v.currentTime > 0.2
  }, null, { timeout, polling: 100 }).catch(async () => {
    const s = await video.evaluate((v) => ({ readyState: v.readyState, currentTime: v.currentTime, error: v.error?.message, player: v.dataset.player }))
    throw new Error(`not playing: ${JSON.stringify(s)}`)
  })
  const t1 = await video.evaluate((v) => v.currentTime)
  await page.waitForFunction((t) => {
    const v = document.querySelector('video[data-stream=demo_clip]')
    return v.currentTime > t || v.ended
  }, t1, { timeout, polling: 100 })
  const seen = await video.evaluate((v) => ({ readyState: v.readyState, currentTime: +v.currentTime.toFixed(2),
    width: v.videoWidth, height: v.videoHeight, player: v.dataset.player }))
  ;(report.video ??= {})[player] = seen
  if (seen.player !== player) throw new Error(`played by ${seen.player}, not ${player}`)
  if (!seen.width) throw new Error(`no picture: ${JSON.stringify(seen)}`)
  await shoot(page, `streams-playing-${player}`)
}

// Opens a view by its tab (or its URL when it has no tab) and waits until it has rendered.
async function openView(page, view) {
  if (!(await page.locator(`main.view[data-view=${view}]`).count())) {
    const tab = page.locator(`nav.tabs a[href="/scada/${view}"]`)
    if (await tab.count()) await tab.click()
    else await page.goto(new URL(`/scada/${view}`, base).href)
  }
  await page.locator(`main.view[data-view=${view}]`).waitFor()
  await page.locator(READY[view]).first().waitFor()
}

let context
try {
  context = await launchChromium({ executablePath: opt.chromium, viewport: { width: 1440, height: 900 }, extraArgs: ['--autoplay-policy=no-user-gesture-required'] })
  context.setDefaultTimeout(timeout)
  // Keeps a handle on the app's WebSocket, so the load test below can feed it messages.
  await context.addInitScript(() => {
    const Native = window.WebSocket
    window.__weirSockets = []
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args)
        window.__weirSockets.push(this)
      }
    }
  })
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    const local = url.protocol === 'data:' || url.protocol === 'blob:' ||
      (url.hostname === '127.0.0.1' && url.port === base.port)
    if (local) return route.continue()
    report.offsite.push(route.request().url())
    return route.abort('blockedbyclient')
  })
  const page = await context.newPage()
  page.on('pageerror', (err) => fail(`page error: ${err}`))
  page.on('console', (msg) => {
    // The browser logs every HTTP error status; the app probes optional modules (404/400) and
    // the viewer's refused actions (403) on purpose. Server errors are caught below instead.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) report.console.push(msg.text())
  })
  page.on('response', (res) => {
    if (res.status() >= 500) fail(`HTTP ${res.status()} from ${res.url()}`)
  })
  page.on('websocket', (ws) => {
    const u = new URL(ws.url())
    if (u.hostname !== '127.0.0.1' || u.port !== base.port) report.offsite.push(ws.url())
  })

  // Every check: [title, body]. Checks run in the order asked, after the views rendered.
  const CHECKS = {
    'tank-level': ['the tank level in the process graphic follows the plant', async () => {
      await openView(page, 'graphics')
      const level = page.locator('[data-svg="1.tank.svg"] [id=level_text]')
      await level.waitFor()
      const first = await level.textContent()
      await page.waitForFunction(
        (before) => document.querySelector('[data-svg="1.tank.svg"] [id=level_text]')?.textContent !== before,
        first,
        { timeout },
      )
    }],

    'pump-command': ['clicking the pump asks, sends its command and shows ok', async () => {
      await openView(page, 'graphics')
      await page.locator('[data-svg="1.tank.svg"] [id=pump]').click()
      const dialog = page.getByRole('dialog', { name: 'Confirm command' })
      await dialog.waitFor()
      await dialog.getByRole('button', { name: 'Send' }).click()
      await page.locator('[data-svg="1.tank.svg"] .cmd-status li[data-status=ok]').waitFor()
      await shoot(page, 'graphics-command-ok')
    }],

    'alarm-banner': ['a low tank puts its alarm in the banner, and it can be acknowledged', async () => {
      // Force the level low: the demo rule raises pump_start_if_low_level.
      await openView(page, 'alarms')
      const banner = page.locator('[data-testid=alarm-banner]')
      const level = await apiStatus(page, 'POST', '/api/datapoints/WaterTank@TANK/value', { value: 3 })
      if (level !== 200) throw new Error(`writing the tank level: HTTP ${level}`)
      await banner.getByText('pump_start_if_low_level').waitFor()
      await page.locator('[data-testid=active-alarms]').getByText('pump_start_if_low_level').first().waitFor()
      await shoot(page, 'alarm-banner')
      await banner.getByRole('button', { name: 'Acknowledge' }).click()
      await page.waitForFunction(async () => {
        const r = await fetch('/api/alarms')
        const a = (await r.json()).items.find((x) => x.rule_id === 'pump_start_if_low_level')
        return !a || a.state === 'ACK' || a.state === 'FINISHED'
      }, null, { timeout, polling: 250 })
      await page.waitForFunction(() => !document.querySelector('[data-testid=alarm-banner]')?.textContent?.includes('pump_start_if_low_level') ||
        !/ACTIVE|INACTIVE/.test(document.querySelector('[data-testid=alarm-banner]')?.textContent ?? ''))
    }],

    'datapoints-load': ['100,000 datapoints scroll virtualised while 1,000 updates/s arrive', async () => {
      await openView(page, 'datapoints')
      report.load = await page.evaluate(async () => {
        const ws = window.__weirSockets.at(-1)
        const feed = (m) => ws.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(m) }))
        const now = () => new Date().toISOString()
        const N = 100000
        const items = Array.from({ length: N }, (_, i) => ({ id: `Load@TAG_${String(i).padStart(6, '0')}`, driver: 'Load',
          value: i, quality: 'good', source_time: now(), server_time: now(), command: false, unit: 'm' }))
        let t0 = performance.now()
        feed({ type: 'snapshot', feed: 'datapoint', items })
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
        const snapshotMs = performance.now() - t0
        const longTasks = []
        const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration) })
        obs.observe({ type: 'longtask' })
        const frames = []
        let last = performance.now()
        let running = true
        const tick = (t) => { frames.push(t - last); last = t; if (running) requestAnimationFrame(tick) }
        requestAnimationFrame(tick)
        const box = document.querySelector('.vtable')
        let sent = 0
        t0 = performance.now()
        await new Promise((done) => {
          const updates = setInterval(() => {
            const batch = Array.from({ length: 100 }, () => {
              const i = Math.floor(Math.random() * N)
              return { id: `Load@TAG_${String(i).padStart(6, '0')}`, value: Math.random() * 100, quality: 'good', source_time: now(), server_time: now() }
            })
            feed({ type: 'update', feed: 'datapoint', items: batch })
            sent += batch.length
          }, 100)
          const scroll = setInterval(() => { box.scrollTop = (box.scrollTop + 997) % (box.scrollHeight - box.clientHeight) }, 50)
          setTimeout(() => { clearInterval(updates); clearInterval(scroll); done() }, 3000)
        })
        running = false
        obs.disconnect()
        const seconds = (performance.now() - t0) / 1000
        frames.sort((a, b) => a - b)
        const rows = document.querySelectorAll('[data-testid=datapoints] tr[data-dp]').length
        return { datapoints: N, snapshotMs: Math.round(snapshotMs), updatesPerSecond: Math.round(sent / seconds),
          frames: frames.length, frameP50Ms: +frames[Math.floor(frames.length / 2)].toFixed(1),
          frameP99Ms: +frames[Math.floor(frames.length * 0.99)].toFixed(1), frameMaxMs: +frames.at(-1).toFixed(1),
          longTasksOver50Ms: longTasks.filter((d) => d > 50).length, longestTaskMs: Math.round(Math.max(0, ...longTasks)),
          rowsInDom: rows }
      })
      await shoot(page, 'datapoints-100000')
      if (report.load.rowsInDom > 200) throw new Error(`${report.load.rowsInDom} rows in the DOM: not virtualised`)
      // The rows are as high as the virtualisation assumes: the table is N rows high, so the
      // scroll bar and the rows shown match.
      const geometry = await page.evaluate(() => {
        const rows = [...document.querySelectorAll('[data-testid=datapoints] tr[data-dp]')].map((r) => r.getBoundingClientRect().height)
        const table = document.querySelector('[data-testid=datapoints]')
        const head = table.querySelector('thead').getBoundingClientRect().height
        return { rows: [...new Set(rows.map((h) => Math.round(h)))], body: table.getBoundingClientRect().height - head }
      })
      if (geometry.rows.length !== 1 || Math.abs(geometry.body - 100000 * geometry.rows[0]) > 100000 * 0.5)
        throw new Error(`row heights ${geometry.rows} px, table body ${geometry.body} px for 100,000 rows`)
      // Frame times and long tasks are measured by bench/web_frame_time.py (make bench), not
      // judged here: on a machine shared with compilers they measure the machine, not the app.
      // An update for a row on screen reaches it.
      const row = page.locator('[data-testid=datapoints] tr[data-dp]').nth(3)
      const id = await row.getAttribute('data-dp')
      await page.evaluate((dp) => window.__weirSockets.at(-1).dispatchEvent(new MessageEvent('message', { data: JSON.stringify(
        { type: 'update', feed: 'datapoint', items: [{ id: dp, value: 12345.5, quality: 'bad' }] }) })), id)
      await row.locator('td.value', { hasText: '12345.5' }).waitFor()
      await row.getByText('bad').waitFor()
    }],

    'stale-reconnect': ['a lost live connection marks the data stale, then reconnects with a fresh snapshot', async () => {
      await openView(page, 'datapoints')
      const before = await page.evaluate(() => window.__weirSockets.length)
      await page.evaluate(() => window.__weirSockets.at(-1).close())
      await page.locator('[data-conn=offline]').waitFor()
      await page.locator('.stale-notice').waitFor()
      await shoot(page, 'stale')
      await page.locator('[data-conn=online]').waitFor()
      await page.locator('.stale-notice').waitFor({ state: 'detached' })
      const after = await page.evaluate(() => window.__weirSockets.length)
      if (after !== before + 1) throw new Error(`${after - before} new sockets, not one`)
      // the fresh snapshot replaced any injected rows with the plant's datapoints
      await page.locator('[data-testid=datapoints] tr[data-dp]:not([data-dp^="Load@"])').first().waitFor()
      if (await page.locator('[data-testid=datapoints] tr[data-dp^="Load@"]').count()) throw new Error('stale rows kept')
      await page.getByTestId('dp-count').getByText(/^\d\d of \d\d datapoints$/).waitFor()
    }],

    // Runs before logging in (see below), from GET /.
    'wrong-password': ['GET / leads to the login page, which hints at no credential; a wrong password is refused', async () => {
      await page.goto(new URL('/', base).href)
      await page.getByLabel('User name').waitFor()
      if (!page.url().endsWith('/scada/')) throw new Error(`GET / landed on ${page.url()}`)
      const text = await page.locator('body').innerText()
      if (/admin|password:|default/i.test(text.replace(/Password/g, ''))) throw new Error(`the login page hints at a credential: ${text}`)
      await shootAll(page, 'login')
      await page.getByLabel('User name').fill(opt.user)
      await page.getByLabel('Password', { exact: true }).fill('wrong-password-1')
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByRole('alert').waitFor()
      await page.getByLabel('Password', { exact: true }).fill('')
    }],

    'session-expiry': ['session expiry goes back to login and returns to the same view', async () => {
      await openView(page, 'datapoints')
      await apiStatus(page, 'POST', '/api/auth/logout')
      // The next REST call (or the live feed, whichever notices first) is refused: the app shows
      // the login page and keeps the URL of the view.
      await page.locator('nav.tabs a[href="/scada/alarms"]').click({ timeout: 1000 }).catch(() => {})
      await page.getByLabel('User name').waitFor()
      const view = new URL(page.url()).pathname.replace('/scada/', '')
      if (!['datapoints', 'alarms'].includes(view)) throw new Error(`URL became ${page.url()}`)
      await login(page)
      await page.locator(`main.view[data-view=${view}]`).waitFor()
      await page.locator(READY[view]).first().waitFor()
    }],

    'command-feedback': ['a command sent from the Commands view shows ok in its feedback history', async () => {
      await openView(page, 'commands')
      await page.getByLabel('Command datapoint').selectOption('WaterTank@DOOR_CMD')
      await page.getByLabel('Command value').fill('TOGGLE')
      await page.getByRole('button', { name: 'Send' }).click()
      const sent = page.getByRole('status').filter({ hasText: /^Sent \(/ })
      await sent.waitFor()
      const id = /Sent \(([^)]+)\)/.exec(await sent.textContent())?.[1]
      if (!id || id === 'no id') throw new Error(`no command id: ${await sent.textContent()}`)
      await page.locator(`[data-testid=command-history] tr[data-command="${id}"]`, { hasText: 'ok' }).waitFor()
      await shoot(page, 'commands-feedback')
    }],

    'driver-control': ['disconnecting a driver shows it offline, connecting brings it back online', async () => {
      await openView(page, 'communications')
      const row = page.locator('[data-testid=drivers] tr[data-driver=AuxServer]')
      await row.locator('.dstate.d-online').waitFor()
      await row.getByRole('button', { name: 'Disconnect', exact: true }).click()
      await row.locator('.dstate:not(.d-online)').waitFor()
      await shoot(page, 'communications-disconnected')
      await row.getByRole('button', { name: 'Connect', exact: true }).click()
      await row.locator('.dstate.d-online').waitFor()
    }],

    'map-icon': ['a map icon changes with its datapoint', async () => {
      // esp32's icon follows esp32@PRESENCE (gis_icons[].states): no device runs in the test, so
      // it shows the default (offline) image until the value is written.
      await openView(page, 'map')
      const marker = page.locator('.leaflet-marker-icon.gis-esp32')
      await marker.waitFor()
      const before = await marker.getAttribute('src')
      if (!before?.endsWith('/static/icons/device_offline.svg')) throw new Error(`esp32 shows ${before} before`)
      const st = await apiStatus(page, 'POST', '/api/datapoints/esp32@PRESENCE/value', { value: 'ONLINE' })
      if (st !== 200) throw new Error(`writing esp32@PRESENCE: HTTP ${st}`)
      await page.locator('.leaflet-marker-icon.gis-esp32[src$="/static/icons/device_online.svg"]').waitFor()
      // Site names of the base layer stay readable: none is covered by a marker.
      const overlaps = await page.evaluate(() => {
        const boxes = [...document.querySelectorAll('.leaflet-marker-icon')].map((e) => e.getBoundingClientRect())
        const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
        return [...document.querySelectorAll('.gis-site')].filter((l) => boxes.some((b) => hit(l.getBoundingClientRect(), b))).map((l) => l.textContent)
      })
      if (overlaps.length) throw new Error(`site labels under markers: ${overlaps.join(', ')}`)
      await shoot(page, 'map-esp32-online')
    }],

    'trend-stored': ['a trend shows the values the historian stored, one labelled y axis per unit', async () => {
      const { tag, values, other } = checkArgs.trend
      await openView(page, 'trends')
      await page.getByLabel('Tags').selectOption([tag, other.tag])
      const chart = page.getByTestId('trend-chart')
      await page.waitForFunction(
        ([t, want, o]) => {
          const series = JSON.parse(document.querySelector('[data-testid=trend-chart]')?.dataset.series ?? '[]')
          const s = series.find((x) => x.tag === t)
          return !!s && want.every((v) => s.values.includes(v)) && series.some((x) => x.tag === o)
        },
        [tag, values, other.tag],
        { timeout, polling: 200 },
      ).catch(async () => {
        throw new Error(`the chart's series: ${await chart.getAttribute('data-series')}`)
      })
      // Two units, two y axes (left and right), each labelled with its unit and its tag.
      const axes = async () => JSON.parse((await chart.getAttribute('data-axes')) ?? '[]')
      const want = [`${checkArgs.trend.unit} — ${tag}`, `${other.unit} — ${other.tag}`]
      await page.waitForFunction((w) => {
        const a = JSON.parse(document.querySelector('[data-testid=trend-chart]')?.dataset.axes ?? '[]')
        return w.every((l) => a.some((x) => x.label === l)) && new Set(a.map((x) => x.side)).size === 2
      }, want).catch(async () => {
        throw new Error(`y axes ${JSON.stringify(await axes())}, not ${JSON.stringify(want)}`)
      })
      await shootAll(page, 'trends-stored')
      // The canvas cannot use CSS variables: the chart is redrawn in the dark theme's ink. First
      // let the redraws of shootAll's last width and theme land (under load they come late).
      await page.waitForFunction(() =>
        document.querySelector('[data-testid=trend-chart]').dataset.ink === getComputedStyle(document.documentElement).getPropertyValue('--ink').trim())
      const light = await chart.getAttribute('data-ink')
      await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'))
      await page.waitForFunction((l) => {
        const ink = document.querySelector('[data-testid=trend-chart]').dataset.ink
        return ink !== l && ink === getComputedStyle(document.documentElement).getPropertyValue('--ink').trim()
      }, light).catch(() => { throw new Error('the chart kept the light theme\'s ink in the dark theme') })
      await page.evaluate(() => (document.documentElement.dataset.theme = 'light'))
    }],

    'trend-live': ['in live mode a value written now is drawn at once, appended from the live feed (the historian is asked again only once a minute)', async () => {
      const { tag, live } = checkArgs.trend
      const chart = page.getByTestId('trend-chart')
      await page.getByRole('button', { name: 'Live' }).click()
      const st = await apiStatus(page, 'POST', `/api/datapoints/${tag}/value`, { value: live })
      if (st !== 200) throw new Error(`writing ${tag}: HTTP ${st}`)
      // Well under the minute between refetches: only the feed can have put it there.
      await page.waitForFunction(
        ([t, v]) => (JSON.parse(document.querySelector('[data-testid=trend-chart]')?.dataset.tail ?? '{}')[t] ?? []).includes(v),
        [tag, live],
        { timeout: 5000, polling: 100 },
      ).catch(async () => {
        throw new Error(`not appended within 5 s; data-tail: ${await chart.getAttribute('data-tail')}`)
      })
      await shoot(page, 'trends-live')
    }],

    'video-plays': ["the stream's video element plays the demo clip (the browser's own HLS player)", () => videoPlays(page, 'native')],
    'video-plays-hlsjs': ["the stream's video element plays the demo clip through hls.js (MSE)", () => videoPlays(page, 'hls.js')],

    'overview-live': ['the overview shows the plant live: drivers online, key values with sparklines', async () => {
      await openView(page, 'overview')
      await page.getByRole('heading', { name: /^Drivers online: [1-9]\d* \/ \d+$/ }).waitFor()
      const kv = page.locator('.kv[data-tag="WaterTank@TANK"]')
      const first = await kv.locator('.kv-value').textContent()
      await page.waitForFunction((before) => document.querySelector('.kv[data-tag="WaterTank@TANK"] .kv-value')?.textContent !== before, first, { timeout })
      await kv.locator('svg.spark polyline').waitFor()
    }],

    'tracking-follow': ['a command is followed end to end by its correlation id', async () => {
      await openView(page, 'tracking')
      const id = await page.evaluate(async () => {
        const r = await fetch('/api/commands', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ datapoint: 'WaterTank@TEST_CMD', value: 'START' }) })
        return (await r.json()).command_id
      })
      if (!id) throw new Error('no command id')
      await page.getByLabel('Correlation id').fill(id)
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=tracking-path] tbody tr').length >= 2, null, { timeout, polling: 200 })
        .catch(async () => { throw new Error(`path: ${await page.getByTestId('tracking-path').innerText().catch(() => 'none')}`) })
      await shoot(page, 'tracking-path')
    }],

    'devices-listed': ['both demo devices are shown with their presence and controls', async () => {
      await openView(page, 'devices')
      for (const d of ['esp32', 'raspberry']) await page.locator(`[data-device=${d}]`).waitFor()
    }],

    'viewer-disabled': ['a viewer sees the controls disabled', async () => {
      await openView(page, 'graphics')
      await page.locator('[data-svg="1.tank.svg"] [id=pump][aria-disabled=true]').waitFor()
      await page.locator('[data-svg="1.tank.svg"] [id=pump]').click({ force: true })
      if (await page.getByRole('dialog', { name: 'Confirm command' }).count()) throw new Error('the pump opened a command dialog')
      await openView(page, 'datapoints')
      if (!(await page.locator('tr[data-dp] button', { hasText: 'Write' }).first().isDisabled())) throw new Error('Write is enabled')
      await openView(page, 'communications')
      if (!(await page.getByRole('button', { name: 'Connect' }).first().isDisabled())) throw new Error('Connect is enabled')
      await openView(page, 'commands')
      if (!(await page.getByRole('button', { name: 'Send' }).isDisabled())) throw new Error('Send is enabled')
      await shoot(page, 'viewer-commands')
    }],

    'viewer-refused': ['the server refuses a viewer anyway', async () => {
      const refused = {
        command: await apiStatus(page, 'POST', '/api/commands', { datapoint: 'WaterTank@PUMP_CMD', value: 'TOGGLE' }),
        write: await apiStatus(page, 'POST', '/api/datapoints/WaterTank@TANK/value', { value: 3 }),
        ack: await apiStatus(page, 'POST', '/api/alarms/pump_start_if_low_level/ack'),
        driver: await apiStatus(page, 'POST', '/api/drivers/WaterTank/disconnect'),
      }
      report.refused = refused
      for (const [k, s] of Object.entries(refused)) if (s !== 403) throw new Error(`${k}: HTTP ${s}, not 403`)
    }],
  }
  const checks = list(opt.checks)
  for (const c of checks) if (!CHECKS[c]) throw new Error(`unknown check ${c}`)
  for (const v of list(opt.views)) if (!READY[v]) throw new Error(`unknown view ${v}`)

  if (checks.includes('wrong-password')) {
    await step(...CHECKS['wrong-password'])
    if (!report.failures.length) report.checksPassed.push('wrong-password')
  } else {
    await page.goto(new URL('/scada/', base).href)
    await page.getByLabel('User name').waitFor()
  }
  await step('log in', async () => {
    const t0 = Date.now()
    await login(page)
    await page.locator(READY.overview).first().waitFor()
    report.firstRenderAfterLoginMs = Date.now() - t0 // from "Log in" to the overview with live values
  })
  if (report.failures.length) throw new Error('cannot log in')

  for (const view of list(opt.views)) {
    await step(`view ${view} renders`, async () => {
      await openView(page, view)
      await page.waitForTimeout(150) // let lazy chunks paint before the screenshot
      await shootAll(page, view)
    })
  }

  for (const c of checks) {
    if (c === 'wrong-password') continue
    const before = report.failures.length
    await step(CHECKS[c][0], CHECKS[c][1])
    if (report.failures.length === before) report.checksPassed.push(c)
  }

  await step('log out', async () => {
    await page.getByRole('button', { name: `${opt.user} ▾` }).click()
    await page.getByRole('menuitem', { name: 'Log out' }).click()
    await page.getByLabel('User name').waitFor()
  })
  for (const r of report.offsite) fail(`request left 127.0.0.1: ${r}`)
  for (const c of report.console) fail(`console error: ${c}`)
  report.ok = report.failures.length === 0
} catch (e) {
  fail(`driver: ${e?.stack ?? e}`)
} finally {
  await context?.close().catch(() => {})
}
console.log(JSON.stringify(report, null, 2))
process.exit(report.ok ? 0 : 1)
