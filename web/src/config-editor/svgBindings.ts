// The bindings of an SVG layout as the editor sees them, from the SVG text itself (the server's
// sanitiser reads the same attributes): `data-datapoint` + `data-animation` animate an element,
// `command-value` (+ `command-datapoint`, or a driver name in `data-datapoint`) makes it a
// control. Pure functions over a parsed document: what is bound, what is not, what is unknown,
// and the one edit the editor makes (set / clear an element's binding, giving it an id).

export interface ElementBinding {
  element: string // its id ("" when it has none)
  tag: string
  datapoint: string
  animation: string
  command: string // the command-value, "" when the element is no control
}

export interface BindingProblem {
  element: string
  kind: 'unbound' | 'unknown_datapoint' | 'unknown_animation' | 'no_id'
  message: string
}

// What the editor knows to check against: the running datapoint ids, the saved configuration's
// animations (by name, with their trigger_type) and driver names (connection animations).
export interface BindingContext {
  ids: Set<string>
  animations: Record<string, unknown>
  drivers: Set<string>
}

export function parseSvg(text: string): Document | null {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml')
  if (doc.getElementsByTagName('parsererror').length || doc.documentElement.nodeName !== 'svg') return null
  return doc
}

export function bindingsOf(doc: Document): ElementBinding[] {
  const out: ElementBinding[] = []
  for (const el of doc.querySelectorAll('[data-datapoint], [data-animation], [command-value], [command-datapoint]'))
    out.push({
      element: el.getAttribute('id') ?? '',
      tag: el.tagName,
      datapoint: el.getAttribute('data-datapoint') ?? el.getAttribute('command-datapoint') ?? '',
      animation: el.getAttribute('data-animation') ?? '',
      command: el.getAttribute('command-value') ?? '',
    })
  return out
}

function triggerOf(animation: unknown): string {
  const entries = Array.isArray(animation) ? animation : []
  for (const e of entries) {
    const t = (e as { trigger_type?: unknown } | null)?.trigger_type
    if (typeof t === 'string') return t
  }
  return 'datapoint'
}

export function problemsOf(bindings: ElementBinding[], ctx: BindingContext): BindingProblem[] {
  const out: BindingProblem[] = []
  for (const b of bindings) {
    const name = b.element || `(a ${b.tag} without id)`
    if (!b.element) out.push({ element: name, kind: 'no_id', message: 'has a binding but no id: the server cannot address it' })
    if (!b.datapoint) {
      out.push({ element: name, kind: 'unbound', message: b.command ? `control (command ${b.command}) without a datapoint` : `animation ${b.animation} without a datapoint` })
      continue
    }
    if (!b.animation && !b.command) out.push({ element: name, kind: 'unbound', message: `datapoint ${b.datapoint} without an animation` })
    const connection = b.animation && triggerOf(ctx.animations[b.animation]) === 'connection'
    const driverName = !b.datapoint.includes('@')
    const known = connection || (driverName && b.command) ? ctx.drivers.has(b.datapoint) : ctx.ids.has(b.datapoint)
    if (!known) out.push({ element: name, kind: 'unknown_datapoint', message: `unknown ${connection || driverName ? 'driver' : 'datapoint'} ${b.datapoint}` })
    if (b.animation && !(b.animation in ctx.animations)) out.push({ element: name, kind: 'unknown_animation', message: `unknown animation ${b.animation}` })
  }
  return out
}

// The element's place under the root: the index among its parent's element children, per level.
export function indexPath(root: Element, el: Element): number[] | null {
  const path: number[] = []
  for (let e: Element | null = el; e && e !== root; e = e.parentElement) {
    const parent = e.parentElement
    if (!parent) return null
    path.unshift(Array.prototype.indexOf.call(parent.children, e) as number)
  }
  return path
}

export function elementAt(root: Element, path: number[]): Element | null {
  let e: Element | undefined = root
  for (const i of path) {
    e = e?.children[i]
    if (!e) return null
  }
  return e
}

// Sets (or, with "", removes) the element's data-datapoint / data-animation; an element without
// an id gets a fresh one ("<tag>-<n>"). Returns the new SVG text and the element's id.
export function bindElement(text: string, path: number[], datapoint: string, animation: string): { text: string; id: string } | null {
  const doc = parseSvg(text)
  if (!doc) return null
  const el = elementAt(doc.documentElement, path)
  if (!el) return null
  let id = el.getAttribute('id') ?? ''
  if (!id) {
    const tag = el.localName.replace(/[^A-Za-z0-9_-]/g, '') || 'element'
    let n = 1
    while (doc.querySelector(`[id="${tag}-${n}"]`)) n++
    id = `${tag}-${n}`
    el.setAttribute('id', id)
  }
  const set = (name: string, value: string) => (value ? el.setAttribute(name, value) : el.removeAttribute(name))
  set('data-datapoint', datapoint.trim())
  set('data-animation', animation.trim())
  return { text: new XMLSerializer().serializeToString(doc), id }
}
