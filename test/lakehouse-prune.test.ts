/** pruneFiles: partition values and stats drop only files that cannot match. */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Filter } from '../proto/plan.js'
import type { Field } from '../proto/types.js'
import { commitActions, createTableActions, loadSnapshot, pruneFiles, type Snapshot } from '../src/lakehouse/index.js'

const schema: Field[] = [
  { name: 'id', type: 'int64', nullable: true },
  { name: 'price', type: 'decimal', nullable: true, precision: 10, scale: 2 },
  { name: 'name', type: 'string', nullable: true },
  { name: 'at', type: 'timestamp', nullable: true },
  { name: 'region', type: 'string', nullable: true },
]

async function table(t: Test): Promise<Snapshot> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-prune-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const stats = (lo: number, hi: number, nulls: number, n = 10) =>
    `{"numRecords":${n},"minValues":{"id":${lo},"price":${lo}.5,"name":"n${lo}","at":"2024-01-0${lo}T00:00:00.000Z"},"maxValues":{"id":${hi},"price":${hi}.5,"name":"n${hi}","at":"2024-01-0${hi}T00:00:00.000Z"},"nullCount":{"id":${nulls},"name":0}}`
  await commitActions(dir, 0, createTableActions({
    schema, partitionColumns: ['region'], engineInfo: 't',
    files: [
      { path: 'region=EU/a.parquet', size: 1, stats: stats(1, 3, 0), partitionValues: { region: 'EU' } },
      { path: 'region=US/b.parquet', size: 1, stats: stats(4, 6, 2), partitionValues: { region: 'US' } },
      { path: 'region=__HIVE_DEFAULT_PARTITION__/c.parquet', size: 1, stats: stats(7, 9, 10, 10), partitionValues: { region: null } },
      { path: 'region=EU/d.parquet', size: 1, partitionValues: { region: 'EU' } }, // no stats: never pruned by stats
    ],
  }))
  return loadSnapshot(dir)
}

const names = (s: Snapshot, f: Filter | null, skip?: string[]) => pruneFiles(s, f, { skipColumns: skip }).map((p) => path.basename(p.path)).sort()
const cmp = (column: string, op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte', value: string | bigint | number): Filter => ({ kind: 'cmp', column, op, value })

t.test('partition values', async (t) => {
  const s = await table(t)
  t.same(names(s, null), ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet'])
  t.same(names(s, cmp('region', 'eq', 'EU')), ['a.parquet', 'd.parquet'])
  t.same(names(s, cmp('region', 'neq', 'EU')), ['b.parquet'], 'null partition matches neither eq nor neq')
  t.same(names(s, { kind: 'is', column: 'region', value: null }), ['c.parquet'])
  t.same(names(s, { kind: 'not', child: { kind: 'is', column: 'region', value: null } }), ['a.parquet', 'b.parquet', 'd.parquet'])
  t.same(names(s, { kind: 'in', column: 'region', values: ['US', 'XX'] }), ['b.parquet'])
  t.same(names(s, { kind: 'not', child: cmp('region', 'eq', 'EU') }), ['b.parquet'])
  const p = pruneFiles(s, null).find((f) => f.path.endsWith('c.parquet'))!
  t.same(p.typedPartitionValues, { region: null })
  t.equal(p.numRecords, 10)
  t.equal(p.path, 'region=__HIVE_DEFAULT_PARTITION__/c.parquet', 'path is relative and decoded')
})

t.test('stats', async (t) => {
  const s = await table(t)
  t.same(names(s, cmp('id', 'eq', 5n)), ['b.parquet', 'd.parquet'])
  t.same(names(s, cmp('id', 'gt', 6n)), ['d.parquet'], 'c is all null in id')
  t.same(names(s, cmp('id', 'gte', 3n)), ['a.parquet', 'b.parquet', 'd.parquet'])
  t.same(names(s, cmp('id', 'lt', 4n)), ['a.parquet', 'd.parquet'])
  t.same(names(s, cmp('price', 'gte', '6.5')), ['b.parquet', 'c.parquet', 'd.parquet'], 'decimals compare numerically')
  t.same(names(s, cmp('price', 'gt', '6.50')), ['c.parquet', 'd.parquet'])
  t.same(names(s, cmp('price', 'lt', '1.50')), ['d.parquet'])
  t.same(names(s, cmp('price', 'lt', '1.6')), ['a.parquet', 'd.parquet'])
  t.same(names(s, cmp('price', 'lt', '10')), ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet'], '10 > 9.5 numerically, not as text')
  t.same(names(s, cmp('name', 'lt', 'n2')), ['a.parquet', 'd.parquet'])
  t.same(names(s, cmp('at', 'gt', 1704326400000000n)), ['b.parquet', 'c.parquet', 'd.parquet'], 'timestamp max +1 ms keeps a')
  t.same(names(s, cmp('at', 'gt', 1704326400000000n + 1000n)), ['b.parquet', 'c.parquet', 'd.parquet'])
  t.same(names(s, { kind: 'is', column: 'id', value: null }), ['b.parquet', 'c.parquet', 'd.parquet'])
  t.same(names(s, { kind: 'and', children: [cmp('region', 'eq', 'EU'), cmp('id', 'gt', 2n)] }), ['a.parquet', 'd.parquet'])
  t.same(names(s, { kind: 'or', children: [cmp('region', 'eq', 'US'), cmp('id', 'eq', 1n)] }), ['a.parquet', 'b.parquet', 'd.parquet'])
  t.same(names(s, { kind: 'not', child: { kind: 'or', children: [cmp('id', 'lt', 4n), cmp('id', 'gt', 6n)] } }), ['b.parquet', 'd.parquet'])
  t.same(names(s, { kind: 'like', column: 'name', pattern: 'zz*', caseInsensitive: false }), ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet'])
})

t.test('masked columns are never used', async (t) => {
  const s = await table(t)
  t.same(names(s, cmp('id', 'eq', 5n), ['id']), ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet'])
  t.same(names(s, cmp('region', 'eq', 'EU'), ['region']), ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet'])
})
