// The BigQuery smoke command (src/smoke/bigquery.ts, compiled) run against the BigQuery fake,
// so it cannot rot: every check passes or says why it is skipped against an emulator, and
// the fake saw what the checks claim (the literal source dry-run, the masking vectors' salt as
// a parameter, the long job cancelled).
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { DIST, spawnNode } from './helpers/server.js'
import { startBigQueryFake } from './helpers/bigquery-fake.js'

const SMOKE = path.join(DIST, 'src', 'smoke', 'bigquery.js')

function run(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawnNode([SMOKE], { ...process.env, ...env })
    let out = ''
    let err = ''
    p.stdout.on('data', (c: Buffer) => { out += c.toString() })
    p.stderr.on('data', (c: Buffer) => { err += c.toString() })
    p.on('exit', (code) => resolve({ code, out, err }))
  })
}

t.test('the smoke command passes against the fake', async (t) => {
  t.ok(fs.existsSync(SMOKE), `${SMOKE} is built`)
  const fake = await startBigQueryFake({ projectId: 'smoke-project' })
  t.teardown(() => fake.close())
  await fake.loadTable('smoke_ds', 'one', { schema: [{ name: 'x', type: 'INT64' }], rows: [[1]] })
  // the cancel check's job stays "running" until cancelled, as a long job on BigQuery
  fake.faults.slowJobsMatching(/smoke-cancel-/, 1_000_000)
  const r = await run({ BQ_PROJECT: 'smoke-project', BQ_API_ENDPOINT: fake.url, BQ_KEY_FILE: '', BQ_LOCATION: '' })
  t.equal(r.code, 0, `exit code\n${r.out}\n${r.err}`)
  const lines = r.out.split('\n')
  for (const name of [
    'connector: create', 'connector: test (credentials and reachability)', 'browse: datasets and tables',
    'register: literals of every type (dry-run schema)', 'explore: values of every type', 'parameters: every type as a filter value (REST text forms)',
    'aggregates: exact NUMERIC sum and INT64 values', 'profile: pushed down, exact', 'masking: BigQuery SQL equals the shared vectors byte for byte',
    'cancel: a client that leaves cancels the BigQuery job',
  ]) t.ok(lines.includes(`PASS ${name}`), `PASS ${name}`)
  t.ok(lines.some((l) => l.startsWith('SKIP oauth: a service-account key signs in: skipped against an emulator')), 'the OAuth check says it was skipped')
  t.notOk(lines.some((l) => l.startsWith('FAIL')), 'no FAIL line')
  t.match(r.out, /passed, 0 failed, 1 skipped \(against an emulator\)/)
  // exactly these are left to real BigQuery (proto/BIGQUERY.md); anything else must pass on the fake
  const skippedVectors = lines.filter((l) => l.includes('skipped against an emulator (the fake cannot run it)')).map((l) => /: ([^(]+) \(/.exec(l)?.[1]?.trim())
  t.same(skippedVectors, ['hash on date', 'hash on timestamp', 'hash on time', 'round{"step":10} on int64'], 'vectors the fake cannot run (%E4Y/%E6S, BIGNUMERIC range)')
  t.ok(lines.some((l) => /skipped against an emulator: bignum/.test(l)), 'the BIGNUMERIC text cell is left to real BigQuery')

  const cancelled = [...fake.jobs.values()].filter((j) => j.query.includes('smoke-cancel-') && !j.dryRun)
  t.equal(cancelled.length, 1, 'one long job')
  t.ok(cancelled[0]?.cancelledAt !== undefined, 'jobs.cancel reached the fake')
  const vectorJobs = fake.requests.filter((x) => x.method === 'POST' && /\/jobs$/.test(x.path) && JSON.stringify(x.body).includes('@mask_salt'))
  t.ok(vectorJobs.length >= 10, `${vectorJobs.length} masking vector jobs`)
  t.ok(vectorJobs.every((x) => !String(x.body.configuration.query.query).includes('pepper')), 'the salt is a parameter, never SQL text')
  t.ok(fake.requests.every((x) => x.authorization === undefined), 'no authorization sent to an emulator')
})

t.test('a failing check exits non-zero', async (t) => {
  // nothing listens there: every check that needs BigQuery fails
  const r = await run({ BQ_PROJECT: 'smoke-project', BQ_API_ENDPOINT: 'http://127.0.0.1:9', BQ_KEY_FILE: '', BQ_LOCATION: '' })
  t.equal(r.code, 1, r.out)
  t.match(r.out, /^FAIL connector: test/m)
})

t.test('BQ_PROJECT is required', async (t) => {
  const r = await run({ BQ_PROJECT: '', BQ_API_ENDPOINT: '', BQ_KEY_FILE: '' })
  t.equal(r.code, 2)
  t.match(r.err, /BQ_PROJECT is required/)
})
