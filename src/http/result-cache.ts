/**
 * The result cache of small explore answers, with the ETag that names each one.
 *
 * Key: (dataset id, resolved table version, normalized query — the validated plan and the
 * negotiated format, never the raw query string — and the caller's masking view). Two
 * callers with different views never share an entry, and their ETags differ too, so an
 * If-None-Match carrying another view's ETag never matches. The ETag is a digest of the key
 * alone, so `304 Not Modified` can be answered without computing the result.
 *
 * Only Delta-backed datasets at a resolved version are cached: a committed version never
 * changes. Connector datasets (PostgreSQL, BigQuery) change underneath and are not cached.
 * Authorization is checked by the route BEFORE any lookup here.
 *
 * Byte-budgeted LRU (RESULT_CACHE_BYTES), entries up to RESULT_CACHE_MAX_ENTRY_BYTES; every
 * commit made through Sluice drops the table's entries (VACUUM may have removed the files
 * an old version needs). Main thread.
 */
import crypto from 'node:crypto'
import type { OutputFormat, Plan } from '../../proto/plan.js'
import type { MaskingView } from '../governance/masking-view.js'
import { configureLatestVersionMemo, onTableCommitted } from '../lakehouse/snapshot-cache.js'
import type { Services } from './services.js'
import { prepareHead, type PreparedHead } from './prepared-head.js'

export interface CachedResult {
  key: string
  /** the table root the result was read from (commits drop its entries) */
  root: string
  etag: string
  body: Buffer
  /** the head of a 200 answered from this entry and of a 304 for it, spelled once (a polled URL builds none) */
  hitHead: PreparedHead
  notModifiedHead: PreparedHead
}

/** Cache-Control of explore answers that carry an ETag: the client keeps them but asks again each time. */
export const REVALIDATE = 'private, no-cache'

export function cachedResult(key: string, root: string, etag: string, body: Buffer, contentType: string): CachedResult {
  return {
    key, root, etag, body,
    hitHead: prepareHead(200, { 'Content-Type': contentType, ETag: etag, 'Cache-Control': REVALIDATE, 'X-Cache': 'hit' }),
    notModifiedHead: prepareHead(304, { ETag: etag, 'Cache-Control': REVALIDATE }),
  }
}

/** Map, key string, object: what an entry costs besides its body. */
const ENTRY_OVERHEAD = 200

const sizeOf = (e: CachedResult) => e.body.byteLength + e.key.length * 2 + ENTRY_OVERHEAD

export class ResultCache {
  readonly #entries = new Map<string, CachedResult>() // insertion order is recency
  /** key of the most recently used entry: a hit on it has nothing to reorder (a polled URL) */
  #newest: string | undefined
  #bytes = 0

  constructor(readonly budgetBytes: number, readonly maxEntryBytes: number) {}

  get(key: string): CachedResult | undefined {
    const e = this.#entries.get(key)
    if (e && key !== this.#newest) { // refresh recency
      this.#entries.delete(key)
      this.#entries.set(key, e)
      this.#newest = key
    }
    return e
  }

  has(key: string): boolean { return this.#entries.has(key) }

  /** False when the body is too big to cache (or the cache is off). */
  accepts(bytes: number): boolean {
    return bytes <= this.maxEntryBytes && bytes + ENTRY_OVERHEAD <= this.budgetBytes
  }

  put(e: CachedResult): void {
    if (!this.accepts(e.body.byteLength)) return
    this.#drop(e.key)
    this.#entries.set(e.key, e)
    this.#newest = e.key
    this.#bytes += sizeOf(e)
    for (const [key] of this.#entries) {
      if (this.#bytes <= this.budgetBytes) break
      this.#drop(key)
    }
  }

  /** Forgets every entry read from the table at `root`. */
  dropTable(root: string): void {
    for (const e of [...this.#entries.values()]) if (e.root === root) this.#drop(e.key)
  }

  #drop(key: string): void {
    const e = this.#entries.get(key)
    if (!e) return
    this.#entries.delete(key)
    if (key === this.#newest) this.#newest = undefined
    this.#bytes -= sizeOf(e)
  }

  get bytes(): number { return this.#bytes }
  get size(): number { return this.#entries.size }
}

/** Bump when the bytes a plan produces change (encoders, column metadata): old ETags must stop matching. */
const RESULT_ENCODING = 'r1'

export interface KeyParts {
  datasetId: string
  version: number
  plan: Plan
  format: OutputFormat
  view: MaskingView
  /** the org's masking salt when the view masks anything (hashes depend on it), else '' */
  salt: string
}

/** Plan literals JSON cannot write as themselves: int64 bigints, NaN and ±Infinity (which would become null). */
function planValue(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return { $bigint: v.toString() }
  if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) }
  return v
}

// Plans are immutable once validated; memoized parses (parse-memo.ts) reuse the same object.
const planTexts = new WeakMap<Plan, string>()

function planText(plan: Plan): string {
  let text = planTexts.get(plan)
  if (text === undefined) planTexts.set(plan, text = JSON.stringify(plan, planValue))
  return text
}

interface MadeKey { datasetId: string; version: number; format: OutputFormat; viewKey: string; salt: string; key: string }

/** The keys made from each (memoized) plan, newest first: compared part by part, not rebuilt. */
const keysOfPlan = new WeakMap<Plan, MadeKey[]>()
const MAX_KEYS_PER_PLAN = 8

/**
 * The cache key: a canonical text of everything that determines the result bytes. The same
 * plan object and parts give the same string object, whose hash V8 keeps, so a lookup of a
 * polled URL neither builds nor hashes the ~500-character text again.
 */
export function resultKey(p: KeyParts): string {
  let made = keysOfPlan.get(p.plan)
  if (made === undefined) keysOfPlan.set(p.plan, made = [])
  for (const m of made) {
    if (m.datasetId === p.datasetId && m.version === p.version && m.format === p.format && m.viewKey === p.view.key && m.salt === p.salt) return m.key
  }
  const key = `${RESULT_ENCODING}\u0000${p.datasetId}\u0000${p.version}\u0000${p.format}\u0000${p.view.key}\u0000${p.salt}\u0000${planText(p.plan)}`
  made.unshift({ datasetId: p.datasetId, version: p.version, format: p.format, viewKey: p.view.key, salt: p.salt, key })
  if (made.length > MAX_KEYS_PER_PLAN) made.pop()
  return key
}

/**
 * A weak ETag (results are the same data, not necessarily the same bytes: rows of a
 * group-by without `order` may come in another order) that is a digest of the key. The key
 * may hold the secret masking salt; a SHA-256 digest does not reveal it.
 */
export function etagOf(key: string): string {
  return `W/"${crypto.createHash('sha256').update(key).digest('base64url').slice(0, 32)}"`
}

const opaque = (tag: string) => tag.trim().replace(/^W\//, '')

/** If-None-Match against our ETag (weak comparison, RFC 9110 13.1.2); `*` matches any current result. */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  if (header.trim() === '*') return true
  const ours = opaque(etag)
  for (const part of header.split(',')) if (opaque(part) === ours) return true
  return false
}

const caches = new WeakMap<Services, ResultCache>()

/** The process's result cache (one per Services), wired to commits and the snapshot freshness setting. */
export function resultCacheOf(s: Services): ResultCache {
  let cache = caches.get(s)
  if (!cache) {
    const c = new ResultCache(s.config.resultCacheBytes, s.config.resultCacheMaxEntryBytes)
    configureLatestVersionMemo({ freshnessMs: s.config.snapshotFreshnessMs })
    onTableCommitted((root) => c.dropTable(root))
    caches.set(s, cache = c)
  }
  return cache
}
