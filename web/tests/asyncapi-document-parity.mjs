#!/usr/bin/env node
// Checks that src/mqtt-docs/asyncapi-document.ts (what the /mqtt/docs/ page uses instead of
// @asyncapi/parser's Parser, see there why) builds the same parsed document as the real Parser
// for the documents given on the command line and a few built-in edge cases (recursive schemas,
// traits, references through references, AsyncAPI 2.6). Runs in Node, where the real Parser may
// compile its validators. Prints one JSON report; exits 0 only if every document matches.
//
// Usage: node tests/asyncapi-document-parity.mjs [asyncapi.json ...]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const web = dirname(dirname(fileURLToPath(import.meta.url)))
const require = createRequire(join(web, 'package.json'))
const ts = require('typescript')
const { Parser, stringify } = require('@asyncapi/parser/cjs')

// The module imports the parser's ES module files; Node loads its CommonJS twins instead.
const source = readFileSync(join(web, 'src/mqtt-docs/asyncapi-document.ts'), 'utf8')
  .replaceAll('@asyncapi/parser/esm/', '@asyncapi/parser/cjs/')
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
})
const tmp = mkdtempSync(join(tmpdir(), 'weir-asyncapi-'))
const compiled = join(tmp, 'asyncapi-document.cjs')
writeFileSync(compiled, outputText)
// Resolve the parser from web/node_modules, whatever directory the module was written to.
const Module = require('node:module')
const mod = new Module(compiled)
mod.filename = compiled
mod.paths = Module._nodeModulePaths(web)
mod._compile(outputText, compiled)
const { parseAsyncApi } = mod.exports
rmSync(tmp, { recursive: true, force: true })

const builtIn = {
  'recursive-and-traits-3.0': {
    asyncapi: '3.0.0',
    info: { title: 't', version: '1' },
    channels: {
      tree: {
        address: 'tree/{id}',
        parameters: { id: {} },
        messages: { node: { $ref: '#/components/messages/node' } },
      },
    },
    operations: {
      pub: {
        action: 'send',
        channel: { $ref: '#/channels/tree' },
        traits: [{ $ref: '#/components/operationTraits/t' }],
        messages: [{ $ref: '#/channels/tree/messages/node' }],
      },
    },
    components: {
      operationTraits: { t: { description: 'from trait' } },
      messageTraits: { mt: { headers: { type: 'object', properties: { x: { type: 'string' } } } } },
      messages: {
        node: {
          traits: [{ $ref: '#/components/messageTraits/mt' }],
          payload: { $ref: '#/components/schemas/Node' },
        },
      },
      schemas: {
        Node: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
            parent: { $ref: '#/components/schemas/Node' },
          },
        },
      },
    },
  },
  'refs-through-refs-2.6': {
    asyncapi: '2.6.0',
    info: { title: 'v2', version: '1' },
    servers: { prod: { url: 'localhost:1883', protocol: 'mqtt' } },
    channels: {
      'a/{id}': {
        parameters: { id: { schema: { type: 'string' } } },
        subscribe: {
          operationId: 'onA',
          traits: [{ $ref: '#/components/operationTraits/k' }],
          message: { $ref: '#/components/messages/M' },
        },
      },
      b: {
        publish: {
          message: {
            oneOf: [
              { $ref: '#/components/messages/M' },
              { payload: { type: 'object', properties: { x: { $ref: '#/components/messages/M/payload/properties/x' } } } },
            ],
          },
        },
      },
    },
    components: {
      operationTraits: { k: { bindings: { mqtt: { qos: 1 } } } },
      messages: {
        M: {
          payload: {
            type: 'object',
            properties: { x: { type: 'number' }, r: { $ref: '#/components/schemas/R' } },
          },
        },
      },
      schemas: { R: { type: 'object', properties: { next: { $ref: '#/components/schemas/R' } } } },
    },
  },
}

const documents = Object.entries(builtIn).map(([name, doc]) => [name, JSON.stringify(doc)])
for (const file of process.argv.slice(2)) documents.push([file, readFileSync(file, 'utf8')])

const report = { ok: true, documents: [] }
for (const [name, text] of documents) {
  const entry = { name }
  try {
    const { document, diagnostics } = await new Parser().parse(text)
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.code}: ${d.message}`)
    if (!document) throw new Error(`the real Parser rejects it: ${errors.join('; ')}`)
    entry.parserErrors = errors
    const expected = stringify(document)
    const actual = stringify(await parseAsyncApi(text, name))
    entry.identical = expected === actual
    if (!entry.identical) {
      const a = JSON.stringify(JSON.parse(expected), null, 1).split('\n')
      const b = JSON.stringify(JSON.parse(actual), null, 1).split('\n')
      const i = a.findIndex((line, k) => line !== b[k])
      entry.firstDifference = { line: i, parser: a.slice(i, i + 3), ours: b.slice(i, i + 3) }
    }
  } catch (e) {
    entry.error = String(e?.stack ?? e)
  }
  if (!entry.identical || entry.error) report.ok = false
  report.documents.push(entry)
}
console.log(JSON.stringify(report, null, 2))
process.exit(report.ok ? 0 : 1)
