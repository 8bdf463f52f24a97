/**
 * The per-org secret salt of the `hash` masking strategy (proto/masking.ts): derived from the
 * secrets key, so it is stable across restarts, differs per org, and is never stored, logged
 * or put into SQL text (PostgreSQL receives it as a bound parameter). Main thread.
 */
import type { SecretBox } from '../catalog/index.js'

const caches = new WeakMap<SecretBox, Map<string, string>>()

export function maskSaltOf(box: SecretBox, org: string): string {
  let cache = caches.get(box)
  if (!cache) caches.set(box, cache = new Map())
  let salt = cache.get(org)
  if (salt === undefined) {
    salt = box.derive('sluice/mask-salt\u0000' + org).toString('hex')
    cache.set(org, salt)
  }
  return salt
}
