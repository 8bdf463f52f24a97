/**
 * When the catalog last changed, for memos of catalog rows read on every request (a dataset
 * by name, a caller's grant). Writes made through the stores of this process are counted
 * (`bump`); writes by another connection (another server process on the same DATA_DIR) move
 * SQLite's PRAGMA data_version, read at most every EXTERNAL_CHECK_MS: a statement per
 * request cost as much as the rest of a small cached request. A memo entry stamped with
 * `stamp()` is valid while `stamp()` returns the same value.
 */
import type { CatalogDb } from './db.js'

/** How stale another process's catalog write may be seen (its grants, datasets). */
export const EXTERNAL_CHECK_MS = 100

export class CatalogChanges {
  /** goes up by one for each local write and each data_version change seen */
  #epoch = 0
  #external = -1
  #checkedAtMs = -Infinity
  #stmt: { get(): unknown } | null = null

  constructor(private readonly db: CatalogDb) {}

  /** A write through this process's connection happened (call it before the write runs). */
  bump(): void {
    this.#epoch++
  }

  /** Changes when anything in the catalog may have changed. */
  stamp(): number {
    // monotonic: a wall clock stepped back must not stop the checks for as long as the step
    const now = performance.now()
    if (now - this.#checkedAtMs >= EXTERNAL_CHECK_MS) {
      this.#stmt ??= this.db.prepare('PRAGMA data_version').pluck()
      const v = this.#stmt.get() as number
      this.#checkedAtMs = now
      if (v !== this.#external) {
        this.#external = v
        this.#epoch++
      }
    }
    return this.#epoch
  }
}

const trackers = new WeakMap<CatalogDb, CatalogChanges>()

/** The tracker of `db`: every store on one connection shares it. */
export function catalogChanges(db: CatalogDb): CatalogChanges {
  let c = trackers.get(db)
  if (!c) trackers.set(db, c = new CatalogChanges(db))
  return c
}
