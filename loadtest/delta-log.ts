/**
 * `node dist/loadtest/delta-log.js [--commits N] [--reps N] [--keep]`: what checkpoints buy a
 * cold reader. Builds two tables of N commits (default 1,000: version 0 + small appends of one
 * file each, with Spark-like stats) through commitWithRetry — one with a checkpoint every 10
 * versions, one without — then times `loadSnapshot` of the latest version with the snapshot
 * cache cleared (median of --reps runs after one warm-up run, which also loads parquet-wasm),
 * and time travel to a version just below the newest checkpoint. Prints a table with the
 * ratio and writes loadtest/results/delta-log.json.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import {
  appendActions, clearSnapshotCache, commitActions, commitWithRetry, createTableActions, loadSnapshot,
} from '../src/lakehouse/index.js'
import type { Field } from '../proto/types.js'

const { values } = parseArgs({ options: { commits: { type: 'string' }, reps: { type: 'string' }, keep: { type: 'boolean', default: false } } })
const COMMITS = Number(values.commits ?? 1000)
const REPS = Number(values.reps ?? 9)
const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results')

const schema: Field[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'region', type: 'string', nullable: true },
  { name: 'amount', type: 'float64', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function file(i: number) {
  return {
    path: `part-${String(i).padStart(5, '0')}-${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000.c000.zstd.parquet`,
    size: 4096 + i,
    stats: {
      numRecords: 100,
      minValues: { id: i * 100, region: 'APAC', amount: -1.5, ts: '2024-01-01T00:00:00.000Z' },
      maxValues: { id: i * 100 + 99, region: 'US', amount: 99999.25, ts: '2024-03-31T23:59:59.999Z' },
      nullCount: { id: 0, region: 3, amount: 0, ts: 1 },
    },
  }
}

async function build(dir: string, checkpointInterval: number): Promise<number> {
  const t0 = performance.now()
  await commitActions(dir, 0, createTableActions({ schema, partitionColumns: [], files: [file(0)], engineInfo: 'sluice-bench' }))
  for (let v = 1; v < COMMITS; v++) {
    const snap = await loadSnapshot(dir)
    const r = await commitWithRetry(dir, {
      actions: appendActions(snap, { files: [file(v)], engineInfo: 'sluice-bench' }), readVersion: snap.version, readPaths: [], blindAppend: true, changesMetadata: false,
    }, { checkpointInterval })
    if (r.checkpoint && r.checkpoint.status !== 'written') throw new Error(`checkpoint ${v}: ${JSON.stringify(r.checkpoint)}`)
  }
  return (performance.now() - t0) / 1000
}

async function coldLoads(dir: string, version?: number): Promise<{ firstMs: number; medianMs: number; checkpointVersion: number | null }> {
  const once = async () => {
    clearSnapshotCache()
    const t0 = performance.now()
    const s = await loadSnapshot(dir, version === undefined ? {} : { version })
    const ms = performance.now() - t0
    if (s.files.length !== (version ?? COMMITS - 1) + 1) throw new Error(`wrong snapshot: ${s.files.length} files`)
    return { ms, checkpointVersion: s.checkpointVersion }
  }
  const first = await once()
  const runs: number[] = []
  for (let i = 0; i < REPS; i++) runs.push((await once()).ms)
  return { firstMs: first.ms, medianMs: median(runs), checkpointVersion: first.checkpointVersion }
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-delta-log-'))
  try {
    const plain = path.join(work, 'json-only')
    const ckpt = path.join(work, 'checkpointed')
    fs.mkdirSync(plain)
    fs.mkdirSync(ckpt)
    console.log(`building two tables of ${COMMITS} commits in ${work} ...`)
    const buildPlain = await build(plain, 0)
    const buildCkpt = await build(ckpt, 10)
    const lastCkpt = Math.floor((COMMITS - 1) / 10) * 10
    const travel = Math.max(0, lastCkpt - 1) // just below the newest checkpoint: from the one before it + 9 commits

    const latestPlain = await coldLoads(plain)
    const latestCkpt = await coldLoads(ckpt)
    const travelPlain = await coldLoads(plain, travel)
    const travelCkpt = await coldLoads(ckpt, travel)
    const logBytes = (dir: string) => fs.readdirSync(path.join(dir, '_delta_log')).filter((n) => n.endsWith('.checkpoint.parquet'))
      .map((n) => fs.statSync(path.join(dir, '_delta_log', n)).size)
    const ckptSizes = logBytes(ckpt)

    const rows = [
      ['latest (v' + (COMMITS - 1) + ')', latestPlain, latestCkpt],
      [`time travel v${travel}`, travelPlain, travelCkpt],
    ] as const
    console.log('')
    console.log(`cold loadSnapshot, median of ${REPS} (first run in brackets), ${os.cpus().length} cores, Node ${process.version}`)
    console.log('| read | JSON only (ms) | checkpoints every 10 (ms) | speed-up |')
    console.log('|---|---|---|---|')
    for (const [label, p, c] of rows) {
      console.log(`| ${label} | ${p.medianMs.toFixed(1)} [${p.firstMs.toFixed(1)}] | ${c.medianMs.toFixed(1)} [${c.firstMs.toFixed(1)}] from checkpoint ${c.checkpointVersion} | ${(p.medianMs / c.medianMs).toFixed(1)}× |`)
    }
    console.log('')
    console.log(`build: ${buildPlain.toFixed(1)} s without checkpoints, ${buildCkpt.toFixed(1)} s with ${ckptSizes.length} checkpoints ` +
      `(newest ${(ckptSizes.at(-1)! / 1024).toFixed(0)} KiB; +${(((buildCkpt - buildPlain) / ckptSizes.length) * 1000).toFixed(0)} ms per checkpoint, written in-thread)`)

    fs.mkdirSync(RESULTS, { recursive: true })
    fs.writeFileSync(path.join(RESULTS, 'delta-log.json'), JSON.stringify({
      at: new Date().toISOString(), node: process.version, cores: os.cpus().length, commits: COMMITS, reps: REPS,
      build: { jsonOnlySeconds: buildPlain, checkpointedSeconds: buildCkpt, checkpoints: ckptSizes.length, newestCheckpointBytes: ckptSizes.at(-1) },
      latest: { jsonOnly: latestPlain, checkpointed: latestCkpt, speedup: latestPlain.medianMs / latestCkpt.medianMs },
      timeTravel: { version: travel, jsonOnly: travelPlain, checkpointed: travelCkpt, speedup: travelPlain.medianMs / travelCkpt.medianMs },
    }, null, 2) + '\n')
  } finally {
    if (!values.keep) fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
