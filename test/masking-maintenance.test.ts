// Masking attacks on maintenance and history: a table partitioned by a masked column keeps
// raw values in its file paths (`region=EU/…`) and in commit predicates, so VACUUM dry runs,
// OPTIMIZE `where` and history parameters must not show them to a caller who may not unmask.
import t from 'tap'
import path from 'node:path'
import { orgDir, registered } from './helpers/lakehouse.js'
import { buildPartitionedTable, post } from './helpers/maintenance.js'
import { startServer } from './helpers/server.js'

const CREATOR = { sub: 'alice', roles: ['editor'] }
const MASKED_EDITOR = { sub: 'mallory', roles: ['editor'] }
const MASKED_ADMIN = { sub: 'root', roles: ['admin'] }
const UNMASKER = { sub: 'gina', roles: ['editor', 'geo_reader'] }

t.test('a table partitioned by a masked column hides its paths and predicates', async (t) => {
  const s = await startServer({ VACUUM_ALLOW_SHORT_RETENTION: '1' })
  t.teardown(() => s.stop())
  const rows = await buildPartitionedTable(path.join(orgDir(s), 'sales', 'by_region'), { rows: 3_000, commits: 4 })
  await registered(s, 'by_region', 'sales/by_region')
  const regions = [...new Set(rows.map((r) => r.region).filter((r): r is string => r !== null))]
  t.ok(regions.length >= 3, `raw partition values: ${regions.join(', ')}`)

  // OPTIMIZE by the unmasker (before any rule) leaves the compacted inputs for VACUUM to list.
  t.match(await post(s, '/api/datasets/by_region/optimize', { where: `region.eq.${regions[0]}` }, UNMASKER), { status: 200, body: { committed: true } })
  const patch = await s.api('/api/datasets/by_region', {
    method: 'PATCH', claims: CREATOR, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { masking: [{ column: 'region', strategy: 'redact', unmask_roles: ['geo_reader'] }] } }),
  })
  t.equal(patch.status, 200, 'the creator sets the rule')

  const leaks = (text: string) => regions.filter((r) => text.includes(`region=${r}`) || text.includes(`region.eq.${r}`))

  await t.test('VACUUM dry run: counts, but no paths, for callers who may not unmask', async (t) => {
    for (const who of [MASKED_EDITOR, MASKED_ADMIN, CREATOR]) {
      const r = await post(s, '/api/datasets/by_region/vacuum', { dry_run: true, retention_hours: 0 }, who)
      t.equal(r.status, 200, who.sub)
      t.ok(r.body.num_files > 0, `${who.sub}: the compacted inputs are counted (${r.body.num_files})`)
      t.same(r.body.files, [], `${who.sub}: no paths`)
      t.equal(r.body.files_withheld, true, `${who.sub}: says why the list is empty`)
      t.same(leaks(JSON.stringify(r.body)), [], `${who.sub}: no raw partition value in the body`)
    }
    const r = await post(s, '/api/datasets/by_region/vacuum', { dry_run: true, retention_hours: 0 }, UNMASKER)
    t.equal(r.status, 200)
    t.equal(r.body.files.length, r.body.num_files, 'the unmasker sees every path')
    t.ok(r.body.files.every((f: string) => f.startsWith(`region=${regions[0]}/`)), 'paths of the compacted partition')
    t.notOk('files_withheld' in r.body)
  })

  await t.test('OPTIMIZE where on the masked column: refused for masked callers (matching files would reveal a raw value)', async (t) => {
    for (const who of [MASKED_EDITOR, MASKED_ADMIN]) {
      for (const where of [`region.eq.${regions[1]}`, 'region.eq.****', `or(region.is.null,region.eq.${regions[1]})`]) {
        const r = await post(s, '/api/datasets/by_region/optimize', { where }, who)
        t.match(r, { status: 422, body: { error: 'invalid_parameter', message: /where.*"region" is masked/ } }, `${who.sub}: ${where}`)
      }
    }
    t.match(await post(s, '/api/datasets/by_region/optimize', { where: `region.eq.${regions[1]}` }, UNMASKER), { status: 200, body: { committed: true } })
  })

  await t.test('history: parameters naming the masked column are withheld', async (t) => {
    const masked = await s.api('/api/datasets/by_region/history?limit=200', { claims: { sub: 'vic', roles: ['viewer'] } })
    t.equal(masked.status, 200)
    const body = await masked.json() as { items: { operation: string; parameters: Record<string, unknown> }[] }
    const optimizes = body.items.filter((i) => i.operation === 'OPTIMIZE')
    t.equal(optimizes.length, 2, 'both OPTIMIZE commits are listed')
    t.same(leaks(JSON.stringify(body)), [], 'no predicate with a raw value')
    t.ok(optimizes.every((o) => Object.values(o.parameters).some((v) => typeof v === 'string' && v.startsWith('(withheld'))), 'the predicate parameter says it is withheld')

    const raw = await (await s.api('/api/datasets/by_region/history?limit=200', { claims: UNMASKER })).text()
    t.ok(raw.includes(`region.eq.${regions[0]}`) && raw.includes(`region.eq.${regions[1]}`), 'the unmasker sees both predicates')
  })
})
