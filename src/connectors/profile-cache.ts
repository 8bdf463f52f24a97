/**
 * Finished dataset profiles, kept in memory (one cache per server, `profileCache`).
 *
 * - Keyed by (dataset id, Delta version or null, profiled columns, top, caller's view). A
 *   Delta dataset's entry is only ever found for the exact version it was computed at, so a
 *   new version is always recomputed and an old answer is never served for it; old versions
 *   simply age out of the LRU.
 * - Connector datasets (no version) expire after the dataset's `profile_cache_ttl`
 *   (default 10 minutes).
 * - Bounded: at most MAX_ENTRIES entries and MAX_BYTES of JSON text, least recently used
 *   dropped first (most entries are a few KB: at most 100 top values per column; a wide table
 *   with long strings can be more, and one larger than MAX_ENTRY_BYTES is not kept).
 *
 * The `view` part of the key is the caller's masking view (profileViewKey in
 * profile-masking.ts: the rules that apply, never the salt): a caller that sees masked values
 * is never served an answer computed from raw ones, nor the reverse.
 *
 * Main thread only; no I/O.
 */

/** A finished profile, without `cached` (added per response). `columnsJson` is `[ColumnProfile, ...]` as JSON text. */
export interface CachedProfile {
  rowCount: number
  version: number | null
  columnsJson: string
  computedAt: string
  sample: { method: string; fraction: number } | null
}

export interface ProfileCacheKey {
  datasetId: string
  /** the Delta table's metaData.id (a registered table deleted and created again at the same path starts over at version 0); null otherwise */
  tableId?: string | null
  version: number | null
  columns: readonly string[]
  top: number
  /** the caller's masking view ('' when the caller sees raw values) */
  view: string
}

interface Entry { value: CachedProfile; expiresAtMs: number; bytes: number }

export const MAX_ENTRIES = 200
/** Budget of all entries' JSON text (UTF-16 code units, about bytes for ASCII), and the largest one kept. */
export const MAX_BYTES = 64 * 1024 * 1024
export const MAX_ENTRY_BYTES = 8 * 1024 * 1024
/** profile_cache_ttl when the dataset's settings do not set one */
export const DEFAULT_PROFILE_TTL_MS = 10 * 60_000

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A settings duration ("30s", "10m", "2h", "1d") in ms; the default TTL when absent or unreadable. */
export function profileTtlMs(setting: string | undefined): number {
  const m = setting === undefined ? null : /^(\d+)([smhd])$/.exec(setting)
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : DEFAULT_PROFILE_TTL_MS
}

function keyText(k: ProfileCacheKey): string {
  // \u0000 cannot occur in a dataset id (forgetDataset matches the prefix); the rest is JSON, so any column name is safe.
  return `${k.datasetId}\u0000${JSON.stringify([k.tableId ?? null, k.version, k.columns, k.top, k.view])}`
}

/** A computation under way: callers asking for the same key meanwhile wait for it. */
interface Flight { promise: Promise<CachedProfile>; controller: AbortController; waiters: number }

/** A fresh profile and how long it may be served. */
export interface Computed { profile: CachedProfile; ttlMs: number }

/** `p`, or the signal's reason as soon as it aborts (p goes on). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

export class ProfileCache {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the LRU one.
  readonly #entries = new Map<string, Entry>()
  readonly #flights = new Map<string, Flight>()
  #bytes = 0

  constructor(private readonly maxEntries = MAX_ENTRIES, private readonly now: () => number = Date.now, private readonly maxBytes = MAX_BYTES) {}

  get size(): number { return this.#entries.size }

  /** The entry for the key, or null when absent or expired. */
  get(key: ProfileCacheKey): CachedProfile | null {
    const k = keyText(key)
    const e = this.#entries.get(k)
    if (!e) return null
    this.#delete(k)
    if (e.expiresAtMs <= this.now()) return null
    this.#insert(k, e)
    return e.value
  }

  /** Stores a profile for `ttlMs` (Infinity for Delta versions, which never change). */
  set(key: ProfileCacheKey, value: CachedProfile, ttlMs: number): void {
    const k = keyText(key)
    this.#delete(k)
    const bytes = value.columnsJson.length + 256
    if (bytes > Math.min(MAX_ENTRY_BYTES, this.maxBytes)) return
    this.#insert(k, { value, expiresAtMs: this.now() + ttlMs, bytes })
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      this.#delete(this.#entries.keys().next().value as string)
    }
  }

  #insert(k: string, e: Entry): void {
    this.#entries.set(k, e)
    this.#bytes += e.bytes
  }

  #delete(k: string): void {
    const e = this.#entries.get(k)
    if (!e) return
    this.#entries.delete(k)
    this.#bytes -= e.bytes
  }

  /**
   * The cached profile of `key`, else the result of `compute` — shared: callers asking for the
   * same key while it runs wait for the same computation (a dashboard opening ten views does
   * not profile a table ten times). A caller's abort stops only its own wait; the computation
   * is aborted when every caller waiting for it has left. Rejects with compute's failure (to
   * every waiter) or the caller's abort reason.
   */
  async getOrCompute(key: ProfileCacheKey, signal: AbortSignal, compute: (signal: AbortSignal) => Promise<Computed>): Promise<{ profile: CachedProfile; cached: boolean }> {
    const hit = this.get(key)
    if (hit) return { profile: hit, cached: true }
    signal.throwIfAborted()
    const k = keyText(key)
    let flight = this.#flights.get(k)
    // one whose callers all left is being stopped: start afresh rather than inherit its abort
    if (!flight || flight.controller.signal.aborted) {
      const controller = new AbortController()
      const started: Flight = { promise: Promise.resolve(null as never), controller, waiters: 0 }
      started.promise = compute(controller.signal)
        .then(({ profile, ttlMs }) => {
          this.set(key, profile, ttlMs)
          return profile
        })
        .finally(() => {
          if (this.#flights.get(k) === started) this.#flights.delete(k)
        })
      // Every waiter may have left before it settles: a rejection nobody awaits must not crash.
      started.promise.catch(() => {})
      this.#flights.set(k, started)
      flight = started
    }
    flight.waiters++
    try {
      return { profile: await untilAborted(flight.promise, signal), cached: false }
    } finally {
      flight.waiters--
      if (flight.waiters === 0 && signal.aborted) flight.controller.abort(signal.reason)
    }
  }

  /** Drops every entry of a dataset (deleted or overwritten datasets need not wait for the LRU). */
  forgetDataset(datasetId: string): void {
    const prefix = `${datasetId}\u0000`
    for (const k of [...this.#entries.keys()]) if (k.startsWith(prefix)) this.#delete(k)
  }
}

/** The server's one profile cache (main thread). */
export const profileCache = new ProfileCache()

/** The response body as JSON text: `columnsJson` is spliced in as is, so int64 digits stay exact. */
export function profileBodyText(p: CachedProfile, cached: boolean): string {
  return `{"row_count":${p.rowCount},"version":${p.version === null ? 'null' : p.version},"columns":${p.columnsJson},` +
    `"computed_at":${JSON.stringify(p.computedAt)},"sample":${JSON.stringify(p.sample)},"cached":${cached}}`
}
