/**
 * Our checkpoints against the real ones in /work/shared/conformance/delta:
 *  - schema: every column of Spark's (parquet-mr) and delta-rs's (parquet-rs) checkpoints that
 *    the protocol keeps has the same Parquet path, physical/logical type and repetition in
 *    ours (read with parquet-wasm for paths and Arrow types, DuckDB's parquet_schema for the
 *    Parquet types); DuckDB, an independent reader, reads our maps and lists back;
 *  - content: for every conformance table Sluice can write, a checkpoint we write at the
 *    table's checkpoint versions (theirs deleted first) or at its latest version gives the
 *    same snapshot as JSON replay; tables Sluice cannot write are skipped, not checkpointed.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ParquetFile } from 'parquet-wasm'
import { DataType, tableFromIPC, type Field as ArrowField } from 'apache-arrow'
import { DuckDBInstance } from '@duckdb/node-api'
import { clearSnapshotCache, loadSnapshot, type Snapshot } from '../src/lakehouse/index.js'
import { writeCheckpoint } from '../src/lakehouse/checkpoint-write.js'
import { replayLog } from '../src/lakehouse/replay.js'
import { liveTombstones } from '../src/lakehouse/checkpoint-rows.js'

const CONFORMANCE = '/work/shared/conformance/delta'
const ckptName = (v: number) => `${String(v).padStart(20, '0')}.checkpoint.parquet`

function copyTable(t: Test, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckconf-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const dest = path.join(dir, name)
  fs.cpSync(path.join(CONFORMANCE, name), dest, { recursive: true })
  fs.chmodSync(dest, 0o755)
  for (const sub of fs.readdirSync(dest, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(sub.parentPath, sub.name), sub.isDirectory() ? 0o755 : 0o644)
  }
  return dest
}

interface Column { path: string; arrowType: string; nullable: boolean }

/** Leaf Parquet column paths with the Arrow type of their top-level member (`add.partitionValues`, ...). */
async function describe(file: string): Promise<{ paths: string[]; members: Map<string, Column> }> {
  const pf = await ParquetFile.fromFile(await fs.openAsBlob(file))
  try {
    const rg = pf.metadata().rowGroup(0)
    const paths: string[] = []
    for (let i = 0; i < rg.numColumns(); i++) paths.push(rg.column(i).columnPath().join('.'))
    const members = new Map<string, Column>()
    for (const top of tableFromIPC(pf.schema().intoIPCStream()).schema.fields) {
      const kids: ArrowField[] = DataType.isStruct(top.type) ? top.type.children : []
      for (const c of kids) members.set(`${top.name}.${c.name}`, { path: `${top.name}.${c.name}`, arrowType: String(c.type), nullable: c.nullable })
    }
    return { paths, members }
  } finally {
    pf.free()
  }
}

// What the protocol says checkpoints do not hold: change data, commit provenance, remove.stats/tags.
const dropped = (p: string) => /^(cdc|commitInfo)(\.|$)/.test(p) || /^remove\.(stats|tags)(\.|$)/.test(p)

/**
 * DuckDB's parquet_schema rows as `top:name` -> sorted distinct `physical/converted/repetition`
 * (parquet_schema gives names, not paths; key/value/element repeat under each map and list).
 */
async function parquetTypes(file: string): Promise<Map<string, string[]>> {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
  const c = await db.connect()
  try {
    const r = await c.runAndReadAll(`select name, type, converted_type, repetition_type from parquet_schema('${file.replace(/'/g, "''")}')`)
    const out = new Map<string, string[]>()
    let top = ''
    for (const row of r.getRowObjects().slice(1)) {
      const name = String(row.name)
      if (TOP_LEVEL.includes(name) && row.type === null && row.repetition_type === 'OPTIONAL' && top !== name) top = name
      const key = `${top}:${name}`
      const v = `${String(row.type)}/${String(row.converted_type)}/${String(row.repetition_type)}`
      const list = out.get(key) ?? []
      if (!list.includes(v)) list.push(v)
      out.set(key, list.sort())
    }
    return out
  } finally {
    c.closeSync()
  }
}
const TOP_LEVEL = ['txn', 'add', 'remove', 'metaData', 'protocol', 'cdc', 'commitInfo', 'domainMetadata']

async function ourCheckpointOf(t: Test, table: string, version: number): Promise<string> {
  const dir = copyTable(t, table)
  for (const n of fs.readdirSync(path.join(dir, '_delta_log'))) if (n.includes('checkpoint')) fs.rmSync(path.join(dir, '_delta_log', n))
  const r = await writeCheckpoint(dir, version)
  t.equal(r.status, 'written', `${table}: checkpoint ${version} written`)
  return path.join(dir, '_delta_log', ckptName(version))
}

t.test('column paths and types match Spark and delta-rs checkpoints', async (t) => {
  const ourFile = await ourCheckpointOf(t, 'simple_table_with_checkpoint', 10)
  const ours = await describe(ourFile)
  const ourTypes = await parquetTypes(ourFile)
  for (const [table, version] of [['simple_table_with_checkpoint', 10], ['delta-0.2.0', 3], ['python-0.25.5-checkpoint', 0]] as const) {
    const theirsFile = path.join(CONFORMANCE, table, '_delta_log', ckptName(version))
    const theirs = await describe(theirsFile)
    const wanted = theirs.paths.filter((p) => !dropped(p))
    t.same(wanted.filter((p) => !ours.paths.includes(p)), [], `${table}: every Parquet column path they have, we have`)
    for (const [k, col] of theirs.members) {
      if (dropped(k)) continue
      t.equal(ours.members.get(k)?.arrowType, col.arrowType, `${table}: ${k} is ${col.arrowType}`)
    }
    for (const [k, types] of await parquetTypes(theirsFile)) {
      const [top, name] = k.split(':') as [string, string]
      if (dropped(`${top}.${name}`)) continue
      // older Spark and delta-rs declare required members (path, size, ...) REQUIRED inside the
      // optional action struct; we, like Spark 3, declare every member OPTIONAL except map keys
      const want = types.map((x) => (name === 'key' ? x : x.replace(/REQUIRED$/, 'OPTIONAL'))).filter((x, i, a) => a.indexOf(x) === i)
      t.same(ourTypes.get(k), want, `${table}: Parquet ${k} is ${want.join(' and ')}`)
    }
  }
})

t.test('DuckDB reads our checkpoint: maps, lists, structs', async (t) => {
  const file = await ourCheckpointOf(t, 'delta-0.8.0-partitioned', 0)
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
  const c = await db.connect()
  t.teardown(() => c.closeSync())
  const adds = (await c.runAndReadAll(`select add.path as p, add.partitionValues['year'] as y, map_keys(add.partitionValues) as k, add.size as s from read_parquet('${file}') where add is not null order by p`)).getRowObjectsJson()
  t.equal(adds.length, 6)
  t.match(adds[0], { p: /^year=2020\/month=1\/day=1\//, y: '2020', k: ['year', 'month', 'day'] })
  const md = (await c.runAndReadAll(`select metaData.partitionColumns as pc, metaData.format.provider as f, cardinality(metaData.configuration) as n from read_parquet('${file}') where metaData is not null`)).getRowObjectsJson()
  t.same(md, [{ pc: ['year', 'month', 'day'], f: 'parquet', n: '0' }])
  const proto = (await c.runAndReadAll(`select protocol.minReaderVersion as r, protocol.readerFeatures as rf from read_parquet('${file}') where protocol is not null`)).getRowObjectsJson()
  t.same(proto, [{ r: 1, rf: null }])
})

const canon = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) =>
  x === null || typeof x !== 'object' || Array.isArray(x) ? x : Object.fromEntries(Object.entries(x as object).filter(([, y]) => y !== null && y !== undefined))))

/** `ignoreDataChange`: Spark writes every add/remove in a checkpoint with dataChange=false; we keep the commit's value. */
function sameSnapshot(t: Test, got: Snapshot, want: Snapshot, what: string, ignoreDataChange = false): void {
  const files = (s: Snapshot) => canon(ignoreDataChange ? s.files.map(({ dataChange: _d, ...f }) => f) : s.files)
  t.strictSame(files(got), files(want), `${what}: files`)
  t.strictSame(canon(got.metadata), canon(want.metadata), `${what}: metaData`)
  t.strictSame(canon(got.protocol), canon(want.protocol), `${what}: protocol`)
  t.strictSame(canon(got.txns), canon(want.txns), `${what}: txns`)
  const tomb = (rs: Snapshot['tombstones']) => canon(rs.map(({ stats: _s, tags: _t, dataChange, ...r }) => (ignoreDataChange ? r : { ...r, dataChange })))
  t.strictSame(tomb(got.tombstones), tomb(liveTombstones(want)), `${what}: unexpired tombstones`)
}

// [table, versions to checkpoint, start of JSON replay is possible]
const READABLE: [string, number[]][] = [
  ['simple_table_with_checkpoint', [10]], ['delta-0.2.0', [1, 3]], ['python-0.25.5-checkpoint', [0, 1]],
  ['simple_table', [2, 4]], ['delta-0.8.0', [1]], ['delta-0.8.0-partitioned', [0]], ['delta-0.8.0-null-partition', [0]],
  ['delta-0.8.0-special-partition', [0]], ['data-skipping-basic-stats-all-types', [0]],
]

t.test('our checkpoints of the conformance tables equal JSON replay', async (t) => {
  for (const [table, versions] of READABLE) {
    const dir = copyTable(t, table)
    for (const n of fs.readdirSync(path.join(dir, '_delta_log'))) if (n.includes('checkpoint')) fs.rmSync(path.join(dir, '_delta_log', n))
    for (const v of versions) t.match(await writeCheckpoint(dir, v), { status: 'written' }, `${table}: checkpoint ${v}`)
    const latest = (await replayLog(dir, {}, { useCheckpoints: false })).version
    for (let v = 0; v <= latest; v++) {
      clearSnapshotCache()
      const s = await loadSnapshot(dir, { version: v })
      t.equal(s.checkpointVersion, Math.max(-1, ...versions.filter((c) => c <= v)) < 0 ? null : Math.max(...versions.filter((c) => c <= v)))
      sameSnapshot(t, s, await replayLog(dir, { version: v }, { useCheckpoints: false }), `${table} v${v}`)
    }
  }
})

t.test('checkpoints_vacuumed: checkpoint 10 rebuilt from checkpoint 5 + commits equals theirs', async (t) => {
  const dir = copyTable(t, 'checkpoints_vacuumed')
  const theirs = await loadSnapshot(dir, { version: 10 }, { allowUnsupportedColumns: true })
  t.equal(theirs.checkpointVersion, 10)
  fs.rmSync(path.join(dir, '_delta_log', ckptName(10)))
  clearSnapshotCache()
  t.match(await writeCheckpoint(dir, 10), { status: 'written' })
  clearSnapshotCache()
  const ours = await loadSnapshot(dir, { version: 10 }, { allowUnsupportedColumns: true })
  t.equal(ours.checkpointVersion, 10)
  sameSnapshot(t, ours, theirs, 'v10', true)
  clearSnapshotCache()
  sameSnapshot(t, await loadSnapshot(dir, {}, { allowUnsupportedColumns: true }), await replayLog(dir, {}, { excludeCheckpoints: [10] }), 'v12')
})

t.test('tables Sluice cannot write are skipped', async (t) => {
  for (const table of ['table-with-dv-small', 'table_with_column_mapping', 'data-reader-timestamp_ntz']) {
    const dir = copyTable(t, table)
    const r = await writeCheckpoint(dir, 0)
    t.equal(r.status, 'skipped', `${table}: ${r.reason}`)
    t.notOk(fs.existsSync(path.join(dir, '_delta_log', ckptName(0))))
  }
})
