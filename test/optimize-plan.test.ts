// The OPTIMIZE planner (pure): bins per partition in table order within the target size,
// single-file bins dropped, partition filters with SQL null semantics, Spark's metrics and
// the commit actions.
import t from 'tap'
import type { Field } from '../proto/types.js'
import type { ActiveFile, Snapshot } from '../src/lakehouse/index.js'
import {
  checkPartitionFilter, evalPartitionFilter, fileSizeMetrics, optimizeActions, optimizeMetrics, planOptimize,
} from '../src/lakehouse/optimize-plan.js'
import { parseExploreBody } from '../src/query/index.js'

const SCHEMA: Field[] = [
  { name: 'v', type: 'int64', nullable: true },
  { name: 'region', type: 'string', nullable: true },
  { name: 'day', type: 'date', nullable: true },
]

function file(p: string, size: number, partitionValues: Record<string, string | null> = {}): ActiveFile {
  return { path: p, size, partitionValues, modificationTime: 0, dataChange: true, absolutePath: `/t/${decodeURIComponent(p)}` }
}

function snapshot(files: ActiveFile[], partitionColumns: string[] = []): Snapshot {
  return {
    tablePath: '/t', version: 7, latestVersion: 7, earliestVersion: 0,
    protocol: { minReaderVersion: 1, minWriterVersion: 2 },
    metadata: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: '{}', partitionColumns, configuration: {} },
    deltaSchema: { type: 'struct', fields: [] }, schema: SCHEMA, unsupportedColumns: [], partitionColumns, files,
    tombstones: [], txns: {}, domains: {}, timestampMs: 0, commitInfo: null, checkpointVersion: null,
  } as Snapshot
}

const where = (text: string) => parseExploreBody({ filter: text }, SCHEMA).plan.filter!

t.test('bins: table order, within the target, big files and lone files left alone', async (t) => {
  const files = [file('a', 40), file('b', 40), file('big', 100), file('c', 30), file('d', 50), file('e', 90), file('f', 5)]
  const plan = planOptimize(snapshot(files), { targetFileSize: 100, where: null })
  t.same(plan.bins.map((b) => b.files.map((f) => f.path)), [['a', 'b'], ['c', 'd'], ['e', 'f']], 'c would take a+b past 100; big is never an input')
  t.match(plan, { readVersion: 7, targetFileSize: 100, filesConsidered: 7, filesSkipped: 1, partitions: 1 })
  t.same(plan.bins.map((b) => b.bytes), [80, 80, 95])
})

t.test('bins: greedy packing', async (t) => {
  const plan = planOptimize(snapshot([file('a', 10), file('b', 10), file('c', 10), file('d', 10), file('e', 10)]), { targetFileSize: 25, where: null })
  t.same(plan.bins.map((b) => b.files.map((f) => f.path)), [['a', 'b'], ['c', 'd']], 'e alone is not rewritten')
  t.equal(plan.filesSkipped, 1)
  t.same(planOptimize(snapshot([file('a', 10)]), { targetFileSize: 25, where: null }).bins, [], 'one file: nothing to do')
  t.same(planOptimize(snapshot([]), { targetFileSize: 25, where: null }).bins, [], 'empty table')
  t.throws(() => planOptimize(snapshot([]), { targetFileSize: 0, where: null }), { code: 'invalid_parameter', message: /target_file_size/ })
  t.throws(() => planOptimize(snapshot([]), { targetFileSize: 1.5, where: null }), { code: 'invalid_parameter' })
})

t.test('partitions: one bin set each, null and "" are the same partition, Hive folders', async (t) => {
  const files = [
    file('region=EU/1', 1, { region: 'EU' }), file('region=US/1', 1, { region: 'US' }),
    file('region=EU/2', 1, { region: 'EU' }), file('region=__HIVE_DEFAULT_PARTITION__/1', 1, { region: null }),
    file('region=__HIVE_DEFAULT_PARTITION__/2', 1, { region: '' }), file('region=A%252FB/1', 1, { region: 'A/B' }),
    file('region=A%252FB/2', 1, { region: 'A/B' }), file('region=US/2', 1, { region: 'US' }),
  ]
  const plan = planOptimize(snapshot(files, ['region']), { targetFileSize: 100, where: null })
  t.same(plan.bins.map((b) => [b.partitionValues, b.directory, b.files.map((f) => f.path)]), [
    [{ region: 'EU' }, 'region=EU', ['region=EU/1', 'region=EU/2']],
    [{ region: 'US' }, 'region=US', ['region=US/1', 'region=US/2']],
    [{ region: null }, 'region=__HIVE_DEFAULT_PARTITION__', ['region=__HIVE_DEFAULT_PARTITION__/1', 'region=__HIVE_DEFAULT_PARTITION__/2']],
    [{ region: 'A/B' }, 'region=A%2FB', ['region=A%252FB/1', 'region=A%252FB/2']],
  ])
  t.equal(plan.partitions, 4)

  const eu = planOptimize(snapshot(files, ['region']), { targetFileSize: 100, where: where('region.eq.EU') })
  t.same(eu.bins.map((b) => b.partitionValues.region), ['EU'])
  t.equal(eu.filesConsidered, 2)
  const notEu = planOptimize(snapshot(files, ['region']), { targetFileSize: 100, where: where('not.and(region.eq.EU)') })
  t.same(notEu.bins.map((b) => b.partitionValues.region), ['US', 'A/B'], 'NOT(region = EU) is unknown for null: null partitions are not selected')
  const nulls = planOptimize(snapshot(files, ['region']), { targetFileSize: 100, where: where('or(region.is.null,region.like.A*)') })
  t.same(nulls.bins.map((b) => b.partitionValues.region), [null, 'A/B'])
  t.throws(() => planOptimize(snapshot(files, ['region']), { targetFileSize: 100, where: where('v.gt.1') }), { code: 'invalid_parameter', message: /partition columns \(region\)/ })
})

t.test('evalPartitionFilter: every filter kind, three-valued', async (t) => {
  const fields = new Map(SCHEMA.map((f) => [f.name, f]))
  const ev = (text: string, values: Record<string, unknown>) => evalPartitionFilter(where(text), values as never, fields)
  const eu = { region: 'EU', day: 19_800, v: 5n }
  const none = { region: null, day: null, v: null }
  t.equal(ev('region.eq.EU', eu), true)
  t.equal(ev('region.neq.EU', eu), false)
  t.equal(ev('region.eq.EU', none), null)
  t.equal(ev('day.gte.2024-03-18', eu), true, 'day 19800 is 2024-03-18')
  t.equal(ev('day.lt.2024-03-18', eu), false)
  t.equal(ev('day.lte.2024-03-18', eu), true)
  t.equal(ev('day.gt.2024-03-18', eu), false)
  t.equal(ev('day.gt.2024-03-17', eu), true)
  t.equal(ev('v.in.(1,5)', eu), true)
  t.equal(ev('v.in.(1,2)', eu), false)
  t.equal(ev('v.in.(1,2)', none), null)
  t.equal(ev('region.like.e*', eu), false)
  t.equal(ev('region.ilike.e*', eu), true)
  t.equal(ev('region.like.E_', eu), true)
  t.equal(ev('region.like.E.', eu), false, 'regex characters are literal')
  t.equal(ev('region.is.null', none), true)
  t.equal(ev('region.not.is.null', none), false)
  t.equal(ev('region.not.eq.EU', none), null, 'not of unknown is unknown')
  t.equal(ev('and(region.eq.EU,v.eq.5)', eu), true)
  t.equal(ev('and(region.eq.EU,v.eq.5)', none), null)
  t.equal(ev('and(region.is.null,v.eq.5)', none), null)
  t.equal(ev('and(region.eq.US,v.eq.5)', none), null)
  t.equal(ev('and(region.is.null,region.eq.US)', { region: 'EU' }), false, 'false wins in and')
  t.equal(ev('or(region.eq.EU,v.eq.5)', none), null)
  t.equal(ev('or(region.is.null,v.eq.5)', none), true, 'true wins in or')
  t.equal(ev('or(region.eq.US,v.eq.6)', eu), false)
})

t.test('checkPartitionFilter', async (t) => {
  t.doesNotThrow(() => checkPartitionFilter(where('and(region.eq.EU,day.is.null)'), ['region', 'day']))
  t.throws(() => checkPartitionFilter(where('region.eq.EU'), []), { code: 'invalid_parameter', message: /no partition columns/ })
  t.throws(() => checkPartitionFilter(where('or(region.eq.EU,v.eq.1)'), ['region']), { message: /"v"/ })
})

t.test("Spark's file size histogram and metrics", async (t) => {
  t.same(fileSizeMetrics([]), { minFileSize: 0, p25FileSize: 0, p50FileSize: 0, p75FileSize: 0, maxFileSize: 0 })
  t.same(fileSizeMetrics([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]), { minFileSize: 1, p25FileSize: 3, p50FileSize: 6, p75FileSize: 8, maxFileSize: 10 })
  t.same(optimizeMetrics([{ size: 3 }, { size: 4 }], [{ size: 6 }]), {
    numRemovedFiles: '2', numRemovedBytes: '7', numAddedFiles: '1', numAddedBytes: '6',
    minFileSize: '6', p25FileSize: '6', p50FileSize: '6', p75FileSize: '6', maxFileSize: '6', numDeletionVectorsRemoved: '0',
  })
})

t.test('commit actions', async (t) => {
  const files = [
    { ...file('region=A%20B/x%201.parquet', 10, { region: 'A B' }), stats: '{"numRecords":1}', tags: { k: 'v' } },
    file('region=A%20B/x%202.parquet', 20, { region: 'A B' }),
  ]
  const plan = planOptimize(snapshot(files, ['region']), { targetFileSize: 100, where: null })
  const actions = optimizeActions(plan, [{ path: 'region=A B/part-00000-u.parquet', size: 25, stats: '{"numRecords":3}', partitionValues: { region: 'A B' } }], {
    engineInfo: 'Sluice/test', userName: 'bob', predicate: 'region.eq.A B', timestampMs: 1_700_000_000_000,
  })
  t.match(actions[0], {
    commitInfo: {
      timestamp: 1_700_000_000_000, userName: 'bob', operation: 'OPTIMIZE', readVersion: 7, isolationLevel: 'SnapshotIsolation', isBlindAppend: false, engineInfo: 'Sluice/test',
      operationParameters: { predicate: '["region.eq.A B"]', zOrderBy: '[]', auto: 'false', targetSize: '100' },
      operationMetrics: { numRemovedFiles: '2', numRemovedBytes: '30', numAddedFiles: '1', numAddedBytes: '25' },
    },
  })
  t.same(actions.slice(1), [
    { remove: { path: 'region=A%20B/x%201.parquet', deletionTimestamp: 1_700_000_000_000, dataChange: false, extendedFileMetadata: true, partitionValues: { region: 'A B' }, size: 10, tags: { k: 'v' } } },
    { remove: { path: 'region=A%20B/x%202.parquet', deletionTimestamp: 1_700_000_000_000, dataChange: false, extendedFileMetadata: true, partitionValues: { region: 'A B' }, size: 20 } },
    { add: { path: 'region=A%20B/part-00000-u.parquet', partitionValues: { region: 'A B' }, size: 25, modificationTime: 1_700_000_000_000, dataChange: false, stats: '{"numRecords":3}' } },
  ], 'removes keep the logged path; the add path is URI-encoded')
})
