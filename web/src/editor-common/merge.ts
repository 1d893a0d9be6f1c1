// A three-way merge of JSON documents for the conflict panel: the leaf changes from `base` to
// `mine` applied onto `theirs`. Where both sides changed the same path, mine wins and the path is
// reported. Arrays are compared index by index, like the server's diff.
type J = unknown

function isObj(v: J): v is Record<string, J> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

interface Leaf {
  path: (string | number)[]
  value: J
  removed: boolean
  appended?: J[] // entries added at the end of an array: appended to theirs too
}

function leaves(from: J, to: J, path: (string | number)[], out: Leaf[]) {
  if (isObj(from) && isObj(to)) {
    for (const k of new Set([...Object.keys(from), ...Object.keys(to)])) {
      if (!(k in to)) out.push({ path: [...path, k], value: undefined, removed: true })
      else if (!(k in from)) out.push({ path: [...path, k], value: to[k], removed: false })
      else leaves(from[k], to[k], [...path, k], out)
    }
    return
  }
  if (Array.isArray(from) && Array.isArray(to) && from.length <= to.length) {
    from.forEach((v, i) => leaves(v, to[i], [...path, i], out))
    if (to.length > from.length) out.push({ path, value: undefined, removed: false, appended: to.slice(from.length) })
    return
  }
  if (JSON.stringify(from) !== JSON.stringify(to)) out.push({ path, value: to, removed: false })
}

const show = (p: (string | number)[]) => p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? '.' + k : k)).join('')

export function merge(base: J, mine: J, theirs: J): { merged: J; overlaps: string[] } {
  const my: Leaf[] = []
  leaves(base, mine, [], my)
  const their: Leaf[] = []
  leaves(base, theirs, [], their)
  const theirPaths = new Set(their.filter((l) => !l.appended).map((l) => show(l.path)))
  const merged = structuredClone(theirs)
  const overlaps: string[] = []
  for (const l of my) {
    const p = show(l.path)
    if (!l.appended && [...theirPaths].some((t) => t === p || t.startsWith(p + '.') || t.startsWith(p + '[') || p.startsWith(t + '.') || p.startsWith(t + '['))) overlaps.push(p)
    if (l.appended) {
      let list: J = merged
      for (const k of l.path) list = (list as Record<string | number, J> | undefined)?.[k]
      if (Array.isArray(list)) list.push(...structuredClone(l.appended))
      continue
    }
    if (!l.path.length) return { merged: structuredClone(mine), overlaps: [''] }
    let at: J = merged
    for (const k of l.path.slice(0, -1)) {
      const next = (at as Record<string | number, J>)[k]
      if (next === undefined || next === null || typeof next !== 'object') break
      at = next
    }
    const last = l.path[l.path.length - 1]
    if (at === null || typeof at !== 'object') continue
    if (l.removed) {
      if (Array.isArray(at) && typeof last === 'number') at.splice(last, 1)
      else delete (at as Record<string, J>)[last as string]
    } else (at as Record<string | number, J>)[last] = structuredClone(l.value)
  }
  return { merged, overlaps }
}
