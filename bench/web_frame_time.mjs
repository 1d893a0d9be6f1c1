#!/usr/bin/env node
// The operator app's frame time under load, in Debian's Chromium (headless, playwright-core from
// web/), against a weir that bench/web_frame_time.py feeds with datapoint updates over MQTT.
// Logs in (first render after login), then for each view asked (default Overview, Datapoints)
// records for --seconds: every frame interval (requestAnimationFrame), every long task
// (PerformanceObserver 'longtask'), the datapoint updates that reached the page (counted on its
// one WebSocket), and the renderer's main-thread time (CDP Performance.getMetrics: TaskDuration,
// wall time, and ThreadTime / ProcessTime, CPU time) per update. Prints one JSON report.
//
// Usage: node bench/web_frame_time.mjs --base http://127.0.0.1:PORT --user U --password P
//          [--views overview,datapoints] [--seconds 10] [--chromium /usr/bin/chromium]
import { parseArgs } from 'node:util'

import { launchChromium } from '../tests/web/chromium.mjs'


const { values: opt } = parseArgs({
  allowNegative: true,
  options: {
    base: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    views: { type: 'string', default: 'overview,datapoints' },
    seconds: { type: 'string', default: '10' },
    scroll: { type: 'boolean', default: true }, // --no-scroll: the Datapoints table stays put
    profile: { type: 'string' }, // write a CPU profile (.cpuprofile) of the last view measured
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
})
if (!opt.base || !opt.user || !opt.password) {
  console.error('--base, --user and --password are required')
  process.exit(2)
}
const base = new URL(opt.base)
const report = { views: {} }

const pct = (sorted, q) => +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1)

let context
try {
  context = await launchChromium({ executablePath: opt.chromium, viewport: { width: 1440, height: 900 } })
  context.setDefaultTimeout(30000)
  // Counts the datapoint updates that reach the page, on the app's own socket.
  await context.addInitScript(() => {
    const Native = window.WebSocket
    window.__weirUpdates = 0
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args)
        this.addEventListener('message', (ev) => {
          const s = String(ev.data)
          if (!s.includes('"update"') || !s.includes('"datapoint"')) return
          const m = JSON.parse(s)
          if (m.type === 'update' && m.feed === 'datapoint') window.__weirUpdates += m.items?.length ?? 0
        })
      }
    }
  })
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url())
    return u.hostname === '127.0.0.1' && u.port === base.port ? route.continue() : route.abort('blockedbyclient')
  })
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Performance.enable')
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))

  await page.goto(new URL('/scada/overview', base).href)
  await page.getByLabel('User name').fill(opt.user)
  await page.getByLabel('Password', { exact: true }).fill(opt.password)
  const t0 = Date.now()
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('.overview .kv .kv-value').first().waitFor()
  await page.locator('[data-conn=online]').waitFor()
  report.firstRenderAfterLoginMs = Date.now() - t0

  for (const view of opt.views.split(',')) {
    await page.locator(`nav.tabs a[href="/scada/${view}"]`).click()
    await page.locator(`main.view[data-view=${view}]`).waitFor()
    await page.waitForTimeout(1000) // settle: first render of the view, lazy chunks
    const m0 = await metrics()
    if (opt.profile) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.start')
    }
    const traceEvents = []
    if (process.env.WEIR_BENCH_TRACE) {
      cdp.on('Tracing.dataCollected', (d) => traceEvents.push(...d.value))
      await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' })
    }
    const r = await page.evaluate(async ([seconds, scrolling]) => {
      const longTasks = []
      const obs = new PerformanceObserver((l) => {
        for (const e of l.getEntries()) longTasks.push(e.duration)
      })
      obs.observe({ type: 'longtask' })
      const frames = []
      let last = performance.now()
      let running = true
      const tick = (t) => {
        frames.push(t - last)
        last = t
        if (running) requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
      const u0 = window.__weirUpdates
      const t0 = performance.now()
      // The Datapoints table also scrolls, as an operator would.
      const box = scrolling && document.querySelector('.vtable')
      const scroll = box && setInterval(() => (box.scrollTop = (box.scrollTop + 397) % Math.max(1, box.scrollHeight - box.clientHeight)), 100)
      await new Promise((done) => setTimeout(done, seconds * 1000))
      running = false
      if (scroll) clearInterval(scroll)
      obs.disconnect()
      return { frames, longTasks, updates: window.__weirUpdates - u0, ms: performance.now() - t0 }
    }, [Number(opt.seconds), opt.scroll])
    if (opt.profile) {
      const { profile } = await cdp.send('Profiler.stop')
      const { writeFileSync } = await import('node:fs')
      writeFileSync(opt.profile, JSON.stringify(profile))
    }
    if (process.env.WEIR_BENCH_TRACE) {
      const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r))
      await cdp.send('Tracing.end')
      await done
      const main = traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      const by = {}
      for (const e of traceEvents) if (e.ph === 'X' && main && e.tid === main.tid && e.pid === main.pid) by[e.name] = (by[e.name] ?? 0) + e.dur / 1000
      process.stderr.write(JSON.stringify(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => `${k} ${v.toFixed(0)}`)) + '\n')
    }
    const m1 = await metrics()
    const spent = (name) => Math.round(((m1[name] - m0[name]) * 1000) / (r.ms / 1000)) // ms per second
    const cpuMs = (m1.TaskDuration - m0.TaskDuration) * 1000
    const frames = r.frames.slice(1).sort((a, b) => a - b)
    report.views[view] = {
      seconds: +(r.ms / 1000).toFixed(1),
      updatesPerSecond: Math.round(r.updates / (r.ms / 1000)),
      frames: frames.length,
      frameP50Ms: pct(frames, 0.5),
      frameP99Ms: pct(frames, 0.99),
      frameMaxMs: +frames.at(-1).toFixed(1),
      longTasksOver50Ms: r.longTasks.filter((d) => d > 50).length,
      longestTaskMs: Math.round(Math.max(0, ...r.longTasks)),
      mainThreadMsPerSecond: Math.round(cpuMs / (r.ms / 1000)),
      mainThreadUsPerUpdate: r.updates ? Math.round((cpuMs * 1000) / r.updates) : null,
      msPerSecond: { script: spent('ScriptDuration'), style: spent('RecalcStyleDuration'), layout: spent('LayoutDuration'), other: spent('TaskOtherDuration') },
      // CPU time, not wall time: what the work costs whatever else the machine is doing.
      mainThreadCpuMsPerSecond: spent('ThreadTime'),
      rendererCpuMsPerSecond: spent('ProcessTime'),
      mainThreadCpuUsPerUpdate: r.updates ? Math.round(((m1.ThreadTime - m0.ThreadTime) * 1e6) / r.updates) : null,
    }
  }
  report.ok = true
} catch (e) {
  report.ok = false
  report.error = String(e?.stack ?? e)
} finally {
  await context?.close().catch(() => {})
}
console.log(JSON.stringify(report, null, 2))
process.exit(report.ok ? 0 : 1)
