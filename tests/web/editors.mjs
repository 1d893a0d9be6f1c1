#!/usr/bin/env node
// Drives Debian's Chromium (headless, through web/'s playwright-core) over the config editor and
// the security editor of a running weir, one scenario per run, and prints one JSON report.
// Every request that is not for weir on 127.0.0.1 is recorded (report.offsite) and refused.
//
// Usage: node tests/web/editors.mjs --base http://127.0.0.1:PORT --password PW --step STEP
//          [--name NAME] [--name2 NAME] [--expression EXPR] [--svg-name NAME.svg] [--screenshots DIR]
// Steps: add-datapoint, bad-rule, revert, conflict, operator-user, svg-bind, security-issue, tour.
// Run by tests/web/test_editors.py, which starts weir and checks the server's side.
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))))
const { chromium } = createRequire(join(repo, 'web', 'package.json'))('playwright-core')

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    step: { type: 'string' },
    name: { type: 'string', default: 'EDITED_LEVEL' },
    name2: { type: 'string', default: 'OTHER_LEVEL' },
    expression: { type: 'string', default: 'float(WaterTank@TANK) < < 10' },
    'op-user': { type: 'string', default: 'op1' },
    'op-password': { type: 'string', default: 'Operator-Pass-2026-x' },
    'svg-name': { type: 'string', default: '9.bind.svg' },
    screenshots: { type: 'string', default: tmpdir() },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '30000' },
  },
})
const base = new URL(opt.base ?? '')
if (base.hostname !== '127.0.0.1' || !opt.password || !opt.step) {
  console.error('--base (on 127.0.0.1), --password and --step are required')
  process.exit(2)
}
mkdirSync(opt.screenshots, { recursive: true })
const timeout = Number(opt.timeout)
const report = { ok: false, step: opt.step, offsite: [], errors: [], failures: [], screenshots: [] }

const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
})

async function newPage({ width = 1440, height = 900, theme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height } })
  context.setDefaultTimeout(timeout)
  await context.addInitScript((t) => localStorage.setItem('weir.theme', t), theme)
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    const local = url.protocol === 'data:' || url.protocol === 'blob:' || (url.hostname === '127.0.0.1' && url.port === base.port)
    if (local) return route.continue()
    report.offsite.push(route.request().url())
    return route.abort('blockedbyclient')
  })
  const page = await context.newPage()
  page.on('pageerror', (err) => report.errors.push(String(err)))
  page.on('dialog', (d) => void d.accept())
  return page
}

async function login(page, path, user = opt.user, password = opt.password) {
  await page.goto(new URL(path, base).href)
  await page.getByLabel('User name').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('.editor-toolbar').waitFor()
}

// The operator app's login (the same Login component as the editors'), with the forced password
// change when the server asks for one; returns the password in use afterwards.
async function scadaLogin(page, user, password) {
  await page.goto(new URL('/scada/', base).href)
  await page.getByLabel('User name').fill(user)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('header.topbar, form[aria-label="Change password"]').first().waitFor()
  if (await page.locator('form[aria-label="Change password"]').count()) {
    const next = `${password}-new`
    await page.getByLabel('Current password').fill(password)
    await page.getByLabel('New password', { exact: true }).fill(next)
    await page.getByLabel('New password again').fill(next)
    await page.getByRole('button', { name: 'Change password' }).click()
    password = next
    report.forcedPasswordChange = true
  }
  await page.locator('header.topbar').waitFor()
  return password
}

const apiStatus = (page, method, path, body) =>
  page.evaluate(
    async ([m, p, b]) => (await fetch(p, { method: m, headers: { 'Content-Type': 'application/json' }, body: b ? JSON.stringify(b) : undefined })).status,
    [method, path, body],
  )

async function section(page, id) {
  await page.evaluate((h) => (location.hash = h), id)
  await page.locator(`main[data-section="${id}"]`).waitFor()
}

async function shot(page, name) {
  const path = join(opt.screenshots, `weir-editor-${name}.png`)
  await page.screenshot({ path, fullPage: false })
  report.screenshots.push(path)
}

const status = (page) => page.locator('.editor-status')

// Adds a datapoint to the first driver in the Datapoints section; not saved.
async function addDatapoint(page, name) {
  await section(page, 'datapoints')
  const list = page.locator('fieldset[data-path="drivers[0].datapoints"]')
  const before = await list.locator('tbody > tr').count()
  await list.getByRole('button', { name: /^\+ Add to/ }).click()
  const item = `drivers[0].datapoints[${before}]`
  await page.locator(`[data-path="${item}.name"] input`).fill(name)
  await page.locator(`[data-path="${item}.type"] select`).selectOption('LEVEL')
  return item
}

async function saveAndWait(page, text) {
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await status(page).filter({ hasText: text }).waitFor()
  return status(page).innerText()
}

const steps = {
  async 'add-datapoint'() {
    const page = await newPage()
    await login(page, '/config-editor/#datapoints')
    await addDatapoint(page, opt.name)
    // The dry run lists it before saving.
    await page.getByRole('button', { name: /^Dry run/ }).click()
    await page.locator('.dry-run').getByText(`WaterTank@${opt.name}`).first().waitFor()
    report.dryRun = await page.locator('.dry-run .changes').innerText()
    await shot(page, 'config-dry-run')
    report.saved = await saveAndWait(page, 'Saved and applied')
    await shot(page, 'config-datapoints-saved')
  },

  async 'bad-rule'() {
    const page = await newPage()
    await login(page, '/config-editor/#rules')
    const field = page.locator('[data-path="rules[0].on_condition"]')
    await field.locator('input').fill(opt.expression)
    const bad = field.locator('.expr-status[data-ok="false"]')
    await bad.waitFor()
    report.expressionError = await bad.innerText()
    report.expressionColumn = Number(await bad.getAttribute('data-column'))
    report.markedColumn = Number(await field.locator('.expr-mark mark').getAttribute('data-column'))
    report.markedText = await field.locator('.expr-mark mark').innerText()
    // Completion of datapoint ids while typing.
    await field.locator('input').fill('float(WaterT')
    await field.locator('input').press('End')
    report.completions = await field.locator('.completions button').allInnerTexts()
    await shot(page, 'config-rule-completion')
    await field.locator('input').fill(opt.expression)
    await bad.waitFor()
    report.saveRefused = await saveAndWait(page, 'Not saved')
    report.fieldIssue = await page.locator('[data-path="rules[0].on_condition"] .field-issues').innerText().catch(() => '')
    await shot(page, 'config-rule-refused')
  },

  async revert() {
    const page = await newPage()
    await login(page, '/config-editor/#history')
    const rows = page.locator('table.versions tbody tr')
    await rows.nth(1).waitFor()
    report.revertedTo = await rows.nth(1).getAttribute('data-version')
    await page.locator('.panel[aria-label="Diff between versions"]').waitFor()
    await shot(page, 'config-history')
    await rows.nth(1).getByRole('button', { name: 'Revert to this' }).click()
    report.reverted = await page.locator('.panel[aria-label="Versions"] .notice').filter({ hasText: 'Reverted' }).innerText()
  },

  async conflict() {
    const a = await newPage()
    const b = await newPage()
    await login(a, '/config-editor/#datapoints')
    await login(b, '/config-editor/#datapoints')
    await addDatapoint(a, opt.name)
    await addDatapoint(b, opt.name2)
    const [sa, sb] = await Promise.allSettled([saveAndWait(a, /Saved and applied|Not saved/), saveAndWait(b, /Saved and applied|Not saved/)])
    report.saves = [sa.value ?? String(sa.reason), sb.value ?? String(sb.reason)]
    const loser = report.saves[0].includes('Not saved') ? a : b
    const conflict = loser.locator('[aria-label="Conflict"]')
    await conflict.waitFor()
    report.conflict = await conflict.innerText()
    report.conflicts = (await a.locator('[aria-label="Conflict"]').count()) + (await b.locator('[aria-label="Conflict"]').count())
    await shot(loser, 'config-conflict')
    // Merge: the loser's datapoint on top of the winner's save, then saved.
    await loser.getByRole('button', { name: /Keep my edits/ }).click()
    await status(loser).filter({ hasText: 'now on top of version' }).waitFor()
    report.merged = await saveAndWait(loser, 'Saved and applied')
  },

  async 'operator-user'() {
    const page = await newPage()
    await login(page, '/security-editor/#groups')
    await page.getByRole('button', { name: '+ Add group' }).click()
    const group = page.locator('section[aria-label="Group new_group"]')
    await group.getByLabel('group name').fill('operators')
    const perms = page.locator('[aria-label="Permissions of operators"]')
    for (const p of ['view', 'send_command']) await perms.locator('label', { has: page.locator(`b:text-is("${p}")`) }).locator('input').check()
    await shot(page, 'security-groups')
    report.groupSaved = await saveAndWait(page, 'Saved and applied')
    await section(page, 'users')
    const form = page.locator('section[aria-label="New user"]')
    await form.getByLabel('new user name').fill(opt['op-user'])
    await form.getByLabel('new user password').fill(opt['op-password'])
    await form.locator('[aria-label="new user groups"] label', { hasText: 'operators' }).locator('input').check()
    // Only the operator app (scada is ticked by default).
    const apps = form.locator('[aria-label="new user apps"] input:checked')
    report.defaultApps = await apps.count()
    await form.getByLabel(/must change the password/).uncheck()
    await form.getByRole('button', { name: 'Create user' }).click()
    report.created = await status(page).filter({ hasText: 'created' }).innerText()
    await page.locator(`tr[data-user="${opt['op-user']}"]`).waitFor()
    await shot(page, 'security-users')
    await section(page, 'topic')
    await page.getByRole('textbox', { name: 'topic', exact: true }).fill('sensors/esp32')
    await page.getByRole('button', { name: 'Check' }).click()
    await page.locator('table.topic-result').waitFor()
    report.topic = await page.locator('table.topic-result').innerText()
    await shot(page, 'security-topic')

    // The new operator in the operator app, in a browser context of their own.
    const op = await newPage()
    report.opPassword = await scadaLogin(op, opt['op-user'], opt['op-password'])
    await op.locator('nav.tabs a[href="/scada/graphics"]').click()
    const pump = op.locator('[data-svg="1.tank.svg"] [id=pump]')
    await op.locator('[data-svg="1.tank.svg"] [id=pump][aria-disabled=false]').waitFor()
    report.pumpEnabled = (await pump.getAttribute('aria-disabled')) === 'false'
    await pump.click()
    const dialog = op.getByRole('dialog', { name: 'Confirm command' })
    await dialog.waitFor()
    report.pumpDialog = await dialog.innerText()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await op.locator('nav.tabs a[href="/scada/communications"]').click()
    const connect = op.getByRole('button', { name: 'Connect' }).first()
    const disconnect = op.getByRole('button', { name: 'Disconnect' }).first()
    await connect.waitFor()
    report.driverControlsDisabled = (await connect.isDisabled()) && (await disconnect.isDisabled())
    await shot(op, 'operator-user-communications')
    report.opServer = {
      disconnect: await apiStatus(op, 'POST', '/api/drivers/WaterTank/disconnect'),
      connect: await apiStatus(op, 'POST', '/api/drivers/WaterTank/connect'),
      config: await apiStatus(op, 'GET', '/api/config'),
    }
    await op.context().close()
  },

  // Upload a layout, bind an unbound element by clicking it in the live preview, save; the
  // preview and the operator app's graphic animate it.
  async 'svg-bind'() {
    const name = opt['svg-name']
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 120" width="300" height="120">' +
      '<rect x="0" y="0" width="300" height="120" fill="#eef"/>' +
      '<text x="20" y="60" font-size="28">?</text>' +
      '<circle id="lamp" cx="200" cy="60" r="20" fill="gray" data-animation="toggle_opened_closed"/>' +
      '<rect id="ghost" x="240" y="40" width="40" height="40" data-datapoint="WaterTank@NOPE" data-animation="no_such_animation"/>' +
      '</svg>'
    const page = await newPage()
    await login(page, '/config-editor/#svg')
    await page.locator('input[type=file]').setInputFiles({ name, mimeType: 'image/svg+xml', buffer: Buffer.from(svg) })
    await page.locator('.svg-layouts [role=status]').filter({ hasText: `${name} saved as version` }).waitFor()
    const panel = page.locator(`.svg-bind-preview [data-svg="${name}"]`)
    await panel.locator('.svg-host svg').waitFor()
    const problems = page.locator('[aria-label="Binding problems"]')
    await problems.locator('li').first().waitFor()
    report.problemsBefore = await problems.locator('li').allInnerTexts()
    // Click the text (it has no id: binding gives it one).
    await panel.locator('.svg-host svg > text').click()
    const form = page.locator('form[aria-label="Bind element"]')
    await form.waitFor()
    await form.getByLabel('bind datapoint').fill('WaterTank@TANK')
    await form.getByLabel('bind animation').selectOption('level_text')
    await form.getByRole('button', { name: 'Bind', exact: true }).click()
    report.bound = await page.locator('.svg-layouts [role=status]').innerText()
    await page.getByRole('button', { name: 'Save layout' }).click()
    await page.locator('.svg-layouts [role=status]').filter({ hasText: `${name} saved as version` }).waitFor()
    report.saved = await page.locator('.svg-layouts [role=status]').innerText()
    // The preview (the operator app's graphic) shows the tank level in the new binding.
    const text = page.locator(`.svg-bind-preview [data-svg="${name}"] [id="text-1"]`)
    await text.waitFor()
    await page.waitForFunction((n) => /^-?\d/.test(document.querySelector(`.svg-bind-preview [data-svg="${n}"] [id="text-1"]`)?.textContent ?? ''), name)
    report.previewText = await text.textContent()
    report.problemsAfter = await problems.locator('li').allInnerTexts()
    await shot(page, 'config-svg-bind')
    // A control of the demo layout: clicking it in the preview picks it with its binding, and
    // opens no command dialog (nothing is sent from the editor).
    await page.locator('.svg-layouts').getByRole('button', { name: '1.tank.svg', exact: true }).click()
    const pump = page.locator('.svg-bind-preview [data-svg="1.tank.svg"] [id=pump]')
    await pump.waitFor()
    await pump.click()
    await form.waitFor()
    report.pumpPicked = { datapoint: await form.getByLabel('bind datapoint').inputValue(), animation: await form.getByLabel('bind animation').inputValue() }
    report.pumpDialogs = await page.getByRole('dialog', { name: 'Confirm command' }).count()

    const op = await newPage()
    await scadaLogin(op, opt.user, opt.password)
    await op.locator('nav.tabs a[href="/scada/graphics"]').click()
    const opText = op.locator(`[data-svg="${name}"] [id="text-1"]`)
    await opText.waitFor()
    const first = await op.waitForFunction((n) => {
      const t = document.querySelector(`[data-svg="${n}"] [id="text-1"]`)?.textContent ?? ''
      return /^-?\d/.test(t) ? t : false
    }, name)
    report.operatorText = await first.jsonValue()
    // It moves with the tank: a later value differs (the demo tank changes every second).
    const later = await op.waitForFunction(
      ([n, was]) => {
        const t = document.querySelector(`[data-svg="${n}"] [id="text-1"]`)?.textContent ?? ''
        return /^-?\d/.test(t) && t !== was ? t : false
      },
      [name, report.operatorText],
    )
    report.operatorLater = await later.jsonValue()
    await shot(op, 'operator-svg-bound')
    await op.context().close()
  },

  // A bad group permission typed in the raw JSON; saved from the Groups section: the server's
  // issue is shown at that group's permissions.
  async 'security-issue'() {
    const page = await newPage()
    await login(page, '/security-editor/#raw')
    const raw = page.getByRole('textbox', { name: 'Raw JSON' })
    const cfg = JSON.parse(await raw.inputValue())
    const g = cfg.groups.length - 1
    cfg.groups[g].permissions.push('fly_to_the_moon')
    report.group = cfg.groups[g].name
    report.field = `groups[${g}].permissions[${cfg.groups[g].permissions.length - 1}]`
    await raw.fill(JSON.stringify(cfg, null, 2))
    await section(page, 'groups')
    report.refused = await saveAndWait(page, 'Not saved')
    const at = page.locator(`section[aria-label="Group ${report.group}"] .field-issues[data-path="${report.field}"]`)
    await at.waitFor()
    report.fieldIssue = await at.innerText()
    report.unknownShown = await page.locator(`section[aria-label="Group ${report.group}"] .unknown-permissions`).innerText()
    await shot(page, 'security-field-issue')
  },

  async tour() {
    const screens = {
      '/config-editor/': ['drivers', 'datapoints', 'rules', 'animations', 'modules', 'schedules', 'svg', 'raw', 'history'],
      '/security-editor/': ['users', 'groups', 'devices', 'acl', 'topic', 'history'],
    }
    for (const [width, height] of [
      [1440, 900],
      [1024, 768],
    ])
      for (const theme of ['light', 'dark']) {
        const page = await newPage({ width, height, theme })
        for (const [path, ids] of Object.entries(screens)) {
          await login(page, path)
          for (const id of ids) {
            await section(page, id)
            await page.waitForLoadState('networkidle').catch(() => {})
            await shot(page, `${path.replaceAll('/', '')}-${id}-${width}-${theme}`)
          }
          await page.getByRole('button', { name: 'Log out' }).click()
          await page.getByLabel('User name').waitFor()
        }
        await page.context().close()
      }
  },
}

try {
  if (!steps[opt.step]) throw new Error(`unknown step ${opt.step}`)
  await steps[opt.step]()
  report.ok = report.errors.length === 0 && report.offsite.length === 0
} catch (e) {
  report.failures.push(String(e).split('\n').slice(0, 6).join('\n'))
} finally {
  await browser.close()
}
console.log(JSON.stringify(report))
process.exit(report.ok ? 0 : 1)
