// The profile cache (LRU, per-version keys, TTL) and the pure planning helpers of profiles:
// file groups and the histogram bucket rule shared with the profile workers.
import t from 'tap'
import { ProfileCache, profileBodyText, profileTtlMs, DEFAULT_PROFILE_TTL_MS, type CachedProfile, type ProfileCacheKey } from '../src/connectors/profile-cache.js'
import { groupFiles } from '../src/connectors/profile.js'
import { chooseSampling } from '../src/connectors/profile-postgres.js'
import { histogramBucket } from '../src/connectors/profile-sql.js'

const profile = (rowCount: number): CachedProfile => ({ rowCount, version: 1, columnsJson: '[]', computedAt: '2024-01-01T00:00:00.000Z', sample: null })
const key = (over: Partial<ProfileCacheKey> = {}): ProfileCacheKey => ({ datasetId: 'd1', version: 1, columns: ['a'], top: 10, view: '', ...over })

t.test('keys: version, columns, top and view all count', async (t) => {
  const c = new ProfileCache()
  c.set(key(), profile(1), Infinity)
  t.same(c.get(key()), profile(1))
  t.equal(c.get(key({ version: 2 })), null, 'another version is a miss')
  t.equal(c.get(key({ columns: ['a', 'b'] })), null)
  t.equal(c.get(key({ columns: ['a\u0000'] })), null)
  t.equal(c.get(key({ top: 5 })), null)
  t.equal(c.get(key({ view: 'masked' })), null, 'another masking view is a miss')
  t.equal(c.get(key({ datasetId: 'd2' })), null)
  c.forgetDataset('d1')
  t.equal(c.get(key()), null)
})

t.test('LRU bound and TTL', async (t) => {
  let now = 0
  const c = new ProfileCache(3, () => now)
  for (let i = 0; i < 3; i++) c.set(key({ version: i }), profile(i), Infinity)
  c.get(key({ version: 0 })) // 0 is now the most recently used
  c.set(key({ version: 3 }), profile(3), Infinity)
  t.equal(c.size, 3)
  t.equal(c.get(key({ version: 1 })), null, 'the least recently used entry went')
  t.ok(c.get(key({ version: 0 })))
  c.set(key({ version: null }), profile(9), 1000)
  now = 999
  t.ok(c.get(key({ version: null })), 'alive before the TTL')
  now = 1000
  t.equal(c.get(key({ version: null })), null, 'expired at the TTL')
  t.equal(profileTtlMs('30s'), 30_000)
  t.equal(profileTtlMs('2h'), 7_200_000)
  t.equal(profileTtlMs(undefined), DEFAULT_PROFILE_TTL_MS)
})

t.test('getOrCompute: one computation for concurrent callers', async (t) => {
  const c = new ProfileCache()
  let runs = 0
  let finish!: (v: CachedProfile) => void
  const compute = async () => { runs++; return { profile: await new Promise<CachedProfile>((r) => { finish = r }), ttlMs: Infinity } }
  const never = new AbortController().signal
  const a = c.getOrCompute(key(), never, compute)
  const b = c.getOrCompute(key(), never, compute)
  await new Promise((r) => setImmediate(r))
  finish(profile(7))
  t.same(await a, { profile: profile(7), cached: false })
  t.same(await b, { profile: profile(7), cached: false }, 'the second caller shares the first computation')
  t.equal(runs, 1)
  t.same(await c.getOrCompute(key(), never, compute), { profile: profile(7), cached: true })
  t.equal(runs, 1)
})

t.test('getOrCompute: aborts and failures', async (t) => {
  const c = new ProfileCache()
  let seen: AbortSignal | null = null
  const hang = async (signal: AbortSignal) => {
    seen = signal
    return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
  }
  const one = new AbortController()
  const two = new AbortController()
  const a = c.getOrCompute(key(), one.signal, hang)
  const b = c.getOrCompute(key(), two.signal, hang)
  one.abort(new Error('one left'))
  await t.rejects(a, /one left/)
  t.equal(seen!.aborted, false, 'the computation goes on while a caller waits')
  two.abort(new Error('two left'))
  await t.rejects(b, /two left/)
  t.equal(seen!.aborted, true, 'stopped when every caller has left')
  // a failure reaches every waiter, and nothing is cached
  const never = new AbortController().signal
  const boom = async () => { throw new Error('boom') }
  await t.rejects(c.getOrCompute(key({ top: 3 }), never, boom), /boom/)
  t.equal(c.get(key({ top: 3 })), null)
  const ok = await c.getOrCompute(key({ top: 3 }), never, async () => ({ profile: profile(1), ttlMs: Infinity }))
  t.equal(ok.cached, false, 'the next caller computes again')
})

t.test('byte bound', async (t) => {
  const c = new ProfileCache(100, Date.now, 3000)
  const sized = (n: number): CachedProfile => ({ ...profile(n), columnsJson: '[' + ' '.repeat(n) + ']' })
  c.set(key({ version: 1 }), sized(1000), Infinity)
  c.set(key({ version: 2 }), sized(1000), Infinity)
  t.equal(c.size, 2)
  c.set(key({ version: 3 }), sized(1000), Infinity)
  t.equal(c.size, 2, 'the oldest went to stay under the byte budget')
  t.equal(c.get(key({ version: 1 })), null)
  c.set(key({ version: 4 }), sized(5000), Infinity)
  t.equal(c.get(key({ version: 4 })), null, 'an entry above the budget is not kept')
  t.equal(c.size, 2)
})

t.test('body text keeps the columns JSON as is', async (t) => {
  const text = profileBodyText({ ...profile(2), columnsJson: '[{"min":9007199254740993}]' }, true)
  t.match(text, /"columns":\[\{"min":9007199254740993\}\]/)
  t.match(JSON.parse(text), { row_count: 2, version: 1, cached: true, sample: null })
})

t.test('file groups', async (t) => {
  const files = [5, 1, 9, 3, 7, 2].map((size, i) => ({ size, i }))
  const groups = groupFiles(files, 3)
  t.equal(groups.length, 3)
  t.same(groups.flat().map((f) => f.i).sort(), [0, 1, 2, 3, 4, 5], 'every file once')
  t.same(groups.map((g) => g.reduce((a, f) => a + f.size, 0)).sort((a, b) => a - b), [9, 9, 9], 'balanced bytes')
  t.equal(groupFiles(files.slice(0, 2), 8).length, 2, 'no empty groups')
  t.same(groupFiles([], 4), [])
})

t.test('sampling and histogram buckets', async (t) => {
  t.same(chooseSampling(null, 1000, true), { method: 'none' })
  t.same(chooseSampling(1000, 1000, true), { method: 'none' })
  t.same(chooseSampling(4000, 1000, true), { method: 'tablesample_system', fraction: 0.25 })
  t.same(chooseSampling(4000, 1000, false), { method: 'random', fraction: 0.25 })
  t.equal(histogramBucket('2024-01-01T00:00:00.000000Z', '2024-01-04T03:00:00.000000Z', false), 'hour', '76 hours')
  t.equal(histogramBucket('2024-01-01T00:00:00.000000Z', '2024-01-05T04:00:00.000000Z', false), 'day', '101 hours')
  t.equal(histogramBucket('2024-01-01', '2024-01-02', true), 'day', 'dates never use hours')
  t.equal(histogramBucket('2024-01-01', '2024-04-09', true), 'day', '100 days')
  t.equal(histogramBucket('2024-01-01', '2024-04-10', true), 'week')
  t.equal(histogramBucket('2024-01-01', '2026-01-01', true), 'month')
  t.equal(histogramBucket('1900-01-01', '2024-01-01', true), 'year')
})
