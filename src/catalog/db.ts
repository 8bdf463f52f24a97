/**
 * The embedded catalog: one SQLite file under DATA_DIR (better-sqlite3, synchronous and
 * fast for metadata-sized work on the main thread). WAL mode so several server processes
 * on one DATA_DIR can read while one writes.
 */
import path from 'node:path'
import fs from 'node:fs'
import Database from 'better-sqlite3'
import { MIGRATIONS } from './migrations.js'

export type CatalogDb = Database.Database

export function openCatalogDb(dataDir: string): CatalogDb {
  fs.mkdirSync(dataDir, { recursive: true })
  const db = new Database(path.join(dataDir, 'catalog.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  migrate(db)
  return db
}

function migrate(db: CatalogDb): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)')
  const applyAll = db.transaction(() => {
    const done = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0
    for (let v = done + 1; v <= MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v - 1])
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v, new Date().toISOString())
    }
  })
  applyAll.immediate()
}
