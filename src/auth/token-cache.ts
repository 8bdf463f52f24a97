/**
 * Verified tokens keyed by the Authorization header that carried them (verify.ts), kept
 * until their `exp` (and never longer than maxAgeMs), so small requests do not pay a signature check each time (jose verifies
 * ~11k HS256 tokens/s per core; see STACK.md). Bounded: the oldest entries are evicted first.
 */
import type { Principal } from './principal.js'

interface Entry { principal: Principal; expiresAtMs: number }

export class TokenCache {
  readonly #entries = new Map<string, Entry>()
  constructor(readonly maxEntries = 10_000, readonly maxAgeMs = 5 * 60_000) {}

  get(token: string, nowMs = Date.now()): Principal | undefined {
    const e = this.#entries.get(token)
    if (!e) return undefined
    if (e.expiresAtMs <= nowMs) {
      this.#entries.delete(token)
      return undefined
    }
    return e.principal
  }

  /** expSeconds: the token's `exp` claim, if any */
  set(token: string, principal: Principal, expSeconds: number | undefined, nowMs = Date.now()): void {
    const cap = nowMs + this.maxAgeMs
    const expiresAtMs = expSeconds === undefined ? cap : Math.min(cap, expSeconds * 1000)
    if (expiresAtMs <= nowMs) return
    if (this.#entries.size >= this.maxEntries) {
      // Map iterates in insertion order: drop the oldest tenth in one go.
      let drop = Math.ceil(this.maxEntries / 10)
      for (const key of this.#entries.keys()) {
        this.#entries.delete(key)
        if (--drop === 0) break
      }
    }
    this.#entries.set(token, { principal, expiresAtMs })
  }

  get size() { return this.#entries.size }
}
