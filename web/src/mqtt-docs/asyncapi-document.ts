// Turns the text of an AsyncAPI 2.x/3.x document into the parsed document model the AsyncAPI
// React component renders, without @asyncapi/parser's Parser class.
//
// Why: Parser validates with Spectral, and @stoplight/spectral-core compiles Ajv validators with
// `new Function` as soon as it is loaded — that needs CSP 'unsafe-eval', which Weir's server
// does not grant. This module does what Parser.parse does after validation, with the parser's
// own building blocks: resolve local $refs (in place, shared objects, recursion kept), give
// channels/operations/messages their ids, build the document model, apply traits, mark circular
// schemas and name anonymous ones. It does not validate against the AsyncAPI JSON Schema and
// does not fetch remote $refs: Weir publishes one self-contained document and checks it in its
// own tests.
import { createAsyncAPIDocument } from '@asyncapi/parser/esm/document'
import { createDetailedAsyncAPI, setExtension } from '@asyncapi/parser/esm/utils'
import { applyUniqueIds, customOperations } from '@asyncapi/parser/esm/custom-operations'
import { xParserApiVersion, xParserSpecParsed } from '@asyncapi/parser/esm/constants'
import { ParserAPIVersion } from '@asyncapi/parser/esm/models'
import type { AsyncAPIDocumentInterface } from '@asyncapi/parser/esm/models'
import type { Parser } from '@asyncapi/parser/esm/parser'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

function isObject(v: unknown): v is JsonObject | Json[] {
  return typeof v === 'object' && v !== null
}

function refOf(v: unknown): string | undefined {
  if (isObject(v) && !Array.isArray(v) && typeof v.$ref === 'string') return v.$ref
  return undefined
}

/** The value a local JSON pointer ("#/a/b~1c") designates in root, following references met on
 * the way and at the end. */
function follow(root: Json, ref: string, depth = 0): Json {
  if (depth > 64) throw new Error(`$ref "${ref}": reference chain too long or circular`)
  if (!ref.startsWith('#')) throw new Error(`$ref "${ref}": only local references are supported`)
  const path = ref.slice(1)
  if (path !== '' && !path.startsWith('/')) throw new Error(`$ref "${ref}": not a JSON pointer`)
  let node: Json = root
  for (const raw of path === '' ? [] : path.slice(1).split('/')) {
    const inner = refOf(node)
    if (inner !== undefined) node = follow(root, inner, depth + 1)
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, key)) {
      throw new Error(`$ref "${ref}": no such path in the document`)
    }
    node = (node as Record<string, Json>)[key]
  }
  const last = refOf(node)
  return last === undefined ? node : follow(root, last, depth + 1)
}

/**
 * Replaces every local {"$ref"} in place by the object it designates, as Spectral's resolver
 * does for the parser: a reference back into an object that is being resolved (a recursive
 * schema) stays a {"$ref"}; the parser's resolveCircularRefs turns those into real cycles and
 * marks the document circular.
 */
export function dereference(root: JsonObject): void {
  const done = new Set<object>()
  const onPath = new Set<object>()
  const walk = (node: JsonObject | Json[]): void => {
    if (done.has(node) || onPath.has(node)) return
    onPath.add(node)
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node)
    for (const key of keys) {
      const slot = node as Record<string | number, Json>
      let v = slot[key]
      const ref = refOf(v)
      if (ref !== undefined) {
        const target = follow(root, ref)
        if (isObject(target) && onPath.has(target)) continue // circular: leave the $ref
        slot[key] = v = target
      }
      if (isObject(v)) walk(v)
    }
    onPath.delete(node)
    done.add(node)
  }
  walk(root)
}

export async function parseAsyncApi(text: string, source: string): Promise<AsyncAPIDocumentInterface> {
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch (e) {
    throw new Error(`${source} is not JSON: ${String(e)}`)
  }
  if (!isObject(input) || Array.isArray(input) || typeof input.asyncapi !== 'string') {
    throw new Error(`${source} is not an AsyncAPI document (no "asyncapi" version field)`)
  }
  const major = Number(input.asyncapi.split('.')[0])
  if (major !== 2 && major !== 3) {
    throw new Error(`${source}: AsyncAPI ${input.asyncapi} is not supported (2.x or 3.x)`)
  }
  const parsed = JSON.parse(text) as JsonObject
  dereference(parsed)
  applyUniqueIds(parsed)
  const detailed = createDetailedAsyncAPI(parsed as never, input as never, source)
  const document = createAsyncAPIDocument(detailed)
  setExtension(xParserSpecParsed, true, document)
  setExtension(xParserApiVersion, ParserAPIVersion, document)
  // parseSchemas: false — payloads are plain (AsyncAPI/JSON) schemas; no other schema formats.
  // Every reference is local to this one document: the parser's inventory answers "root".
  const inventory = { findAssociatedItemForPath: () => null }
  await customOperations({} as Parser, document, detailed, inventory as never, {
    applyTraits: true,
    parseSchemas: false,
  })
  return document
}
