// The pure parts of BigQuery profiles: the GoogleSQL of each statement (written by hand from
// the GoogleSQL reference: PERCENTILE_CONT is analytic-only, TIMESTAMP_TRUNC takes WEEK(MONDAY)
// and a time zone, TABLESAMPLE SYSTEM (p PERCENT) follows the alias), REST text → wire text,
// histogram bins with empty buckets, and when a profile samples.
import t from 'tap'
import type { Field } from '../proto/types.js'
import { histogramSql, quantilesSql, rowsCte, scalarSql, topParam, topValuesSql, type BqProfileColumn } from '../src/query/bigquery-profile-sql.js'
import { chooseBqSampling, fillBins, floatText, isoMicrosText, usedParams, wireText } from '../src/connectors/profile-bigquery.js'
import { bqStatValue } from '../src/connectors/column-stats-bigquery.js'

const f = (name: string, type: Field['type'], extra: Partial<Field> = {}): Field => ({ name, type, nullable: true, ...extra })
const cols: BqProfileColumn[] = [
  { field: f('n', 'int64'), expr: '`src`.`n`', masked: false },
  { field: f('s', 'string'), expr: 'TO_HEX(SHA256(CONCAT(@mask_salt, (`src`.`s`))))', masked: true },
  { field: f('ts', 'timestamp'), expr: '`src`.`ts`', masked: false },
  { field: f('d', 'date'), expr: '`src`.`d`', masked: false },
  { field: f('x', 'float64'), expr: '`src`.`x`', masked: false },
]
const CTE = 'WITH `r` AS (SELECT `src`.`n` AS `c0`, TO_HEX(SHA256(CONCAT(@mask_salt, (`src`.`s`)))) AS `c1`, `src`.`ts` AS `c2`, `src`.`d` AS `c3`, `src`.`x` AS `c4` FROM `p.ds.t` AS `src`)'

t.test('golden SQL', async (t) => {
  t.equal(rowsCte('`p.ds.t`', cols, { method: 'none' }), CTE)
  t.equal(rowsCte('`p.ds.t`', cols.slice(0, 1), { method: 'tablesample_system', fraction: 0.0125 }),
    'WITH `r` AS (SELECT `src`.`n` AS `c0` FROM `p.ds.t` AS `src` TABLESAMPLE SYSTEM (1.25 PERCENT))')
  t.equal(scalarSql('W', cols.slice(0, 3)),
    'W SELECT COUNT(*) AS `n`, COUNT(`c0`) AS `0_count`, COUNT(DISTINCT `c0`) AS `0_distinct`, MIN(`c0`) AS `0_min`, MAX(`c0`) AS `0_max`, ' +
    'AVG(`c0`) AS `0_mean`, STDDEV_SAMP(`c0`) AS `0_stddev`, ' +
    'COUNT(`c1`) AS `1_count`, COUNT(DISTINCT `c1`) AS `1_distinct`, MIN(`c1`) AS `1_min`, MAX(`c1`) AS `1_max`, ' +
    'MIN(LENGTH(`c1`)) AS `1_minlen`, MAX(LENGTH(`c1`)) AS `1_maxlen`, AVG(LENGTH(`c1`)) AS `1_meanlen`, COUNTIF(`c1` = \'\') AS `1_empty`, ' +
    'COUNT(`c2`) AS `2_count`, COUNT(DISTINCT `c2`) AS `2_distinct`, UNIX_MICROS(MIN(`c2`)) AS `2_min`, UNIX_MICROS(MAX(`c2`)) AS `2_max` FROM `r`')
  t.equal(quantilesSql('W', [0]),
    'W SELECT PERCENTILE_CONT(CAST(`c0` AS FLOAT64), 0.25) OVER () AS `q0_0`, PERCENTILE_CONT(CAST(`c0` AS FLOAT64), 0.5) OVER () AS `q0_1`, ' +
    'PERCENTILE_CONT(CAST(`c0` AS FLOAT64), 0.75) OVER () AS `q0_2` FROM `r` LIMIT 1')
  t.equal(quantilesSql('W', []), null)
  t.equal(topValuesSql('W', cols, [1, 4]),
    'W (SELECT 1 AS `k`, CAST(`c1` AS STRING) AS `s`, CAST(NULL AS FLOAT64) AS `f`, COUNT(*) AS `n` FROM `r` WHERE `c1` IS NOT NULL GROUP BY `c1` ORDER BY `n` DESC, `c1` LIMIT @top_n)' +
    ' UNION ALL (SELECT 4 AS `k`, CAST(NULL AS STRING) AS `s`, `c4` AS `f`, COUNT(*) AS `n` FROM `r` WHERE `c4` IS NOT NULL GROUP BY `c4` ORDER BY `n` DESC, `c4` LIMIT @top_n)')
  t.same(topParam(7), { name: 'top_n', parameterType: { type: 'INT64' }, parameterValue: { value: '7' } })
  t.equal(histogramSql('W', cols, new Map([[2, 'week'], [3, 'month']] as const)),
    "W SELECT 2 AS `k`, UNIX_MICROS(TIMESTAMP_TRUNC(`c2`, WEEK(MONDAY), 'UTC')) AS `b`, COUNT(*) AS `n` FROM `r` WHERE `c2` IS NOT NULL GROUP BY `b`" +
    " UNION ALL SELECT 3 AS `k`, UNIX_MICROS(TIMESTAMP_TRUNC(TIMESTAMP(`c3`), MONTH, 'UTC')) AS `b`, COUNT(*) AS `n` FROM `r` WHERE `c3` IS NOT NULL GROUP BY `b`")
  const p = (name: string) => ({ name, parameterType: { type: 'STRING' }, parameterValue: { value: 'x' } })
  t.same(usedParams('SELECT @mask_salt', [p('mask_salt'), p('mask'), p('top_n')]), [p('mask_salt')], 'only the parameters a statement names')
})

t.test('REST text → wire text', async (t) => {
  t.equal(isoMicrosText('1709287200123456'), '2024-03-01T10:00:00.123456Z')
  t.equal(isoMicrosText('-1'), '1969-12-31T23:59:59.999999Z', 'floor, not truncation, before 1970')
  t.equal(isoMicrosText('0'), '1970-01-01T00:00:00.000000Z')
  t.equal(floatText('1.0E21'), '1e+21', 'Java notation read as a number')
  t.equal(floatText('NaN'), 'NaN')
  t.equal(floatText('-Infinity'), '-Infinity')
  t.equal(wireText('12.3', f('a', 'decimal', { precision: 10, scale: 2 }), true), '12.30')
  t.equal(wireText('23:59:59', f('a', 'time'), true), '23:59:59.000000')
  t.equal(wireText('9223372036854775807', f('a', 'int64'), true), '9223372036854775807')
  t.equal(bqStatValue(f('a', 'date'), '1969-12-31'), -1)
  t.equal(bqStatValue(f('a', 'timestamp'), '-1'), -1n)
  t.equal(bqStatValue(f('a', 'decimal', { precision: 10, scale: 2 }), '1.5'), '1.50')
})

t.test('histogram bins: every bucket from the first to the last', async (t) => {
  const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n
  t.same(fillBins(new Map([[us('2024-01-01'), 2], [us('2024-03-01'), 1]]), 'month', true), [
    { start: '2024-01-01', n: '2' }, { start: '2024-02-01', n: '0' }, { start: '2024-03-01', n: '1' },
  ])
  t.same(fillBins(new Map([[us('2023-12-25'), 1], [us('2024-01-08'), 4]]), 'week', false), [
    { start: '2023-12-25T00:00:00.000000Z', n: '1' }, { start: '2024-01-01T00:00:00.000000Z', n: '0' }, { start: '2024-01-08T00:00:00.000000Z', n: '4' },
  ])
  t.same(fillBins(new Map([[us('1969-01-01'), 1], [us('1971-01-01'), 1]]), 'year', true).map((b) => b.start), ['1969-01-01', '1970-01-01', '1971-01-01'])
  t.same(fillBins(new Map(), 'day', true), [])
})

t.test('sampling: only source tables above the limit', async (t) => {
  t.same(chooseBqSampling('ds.t', 4_000_000, 1_000_000), { method: 'tablesample_system', fraction: 0.25 })
  t.same(chooseBqSampling('ds.t', 1_000_000, 1_000_000), { method: 'none' })
  t.same(chooseBqSampling(null, 4_000_000, 1_000_000), { method: 'none' }, 'a source query is read in full')
  t.same(chooseBqSampling('ds.t', null, 1_000_000), { method: 'none' }, 'unknown row count (a view)')
})
