// Scalar validates its configuration with Zod 4. Zod probes whether it may compile validators
// with `new Function` — under Weir's CSP (no 'unsafe-eval') that probe is refused and reported
// as a CSP violation. Zod reads its global configuration from globalThis.__zod_globalConfig;
// jitless makes it skip the probe and interpret schemas. This module must be imported first.
type ZodGlobal = { __zod_globalConfig?: { jitless?: boolean } }
const g = globalThis as ZodGlobal
g.__zod_globalConfig = { ...(g.__zod_globalConfig ?? {}), jitless: true }
export {}
