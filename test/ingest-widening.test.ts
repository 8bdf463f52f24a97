// A value that does not fit, late in the file, widens the whole column: every earlier value
// is kept (never nulled), in preview and in the written Parquet.
import t from 'tap'
import { csvFile, ingest, preview, readIngested, typesOf, values } from './helpers/ingest.js'

const ROWS = 100_000
const LATE = 60_000

function cells(i: number): string[] {
  const late = i === LATE
  const day = String(1 + (i % 28)).padStart(2, '0')
  return [
    late ? '1.5' : String(i), // a: int → float64
    late ? 'N/A' : String(i), // b: int → string
    late ? `2024-01-${day}T12:30:00Z` : `2024-01-${day}`, // c: date → timestamp
    late ? 'maybe' : i % 2 ? 'true' : 'false', // d: boolean → string
    late ? '007' : String(i + 1), // e: int → string (leading zeros)
    i === 10 ? '9007199254740993' : late ? '0.25' : String(i), // f: int (beyond 2^53) + float → string
  ]
}

t.test(`widening at row ${LATE} of ${ROWS} keeps every value`, async (t) => {
  let text = 'a,b,c,d,e,f\n'
  for (let i = 0; i < ROWS; i++) text += cells(i).join(',') + '\n'
  const file = csvFile(t, text)
  const want = { a: 'float64', b: 'string', c: 'timestamp', d: 'string', e: 'string', f: 'string' }

  const p = await preview(file, {}, 5)
  t.same(typesOf(p), want, 'preview sees the late values')
  t.equal(p.rowCount, ROWS)

  const r = await ingest(t, file)
  t.same(typesOf(r), want)
  t.equal(r.rowCount, ROWS)
  const table = await readIngested(r)
  t.equal(table.numRows, ROWS)
  const a = values(table.getChild('a'))
  const b = values(table.getChild('b'))
  const c = values(table.getChild('c'))
  const d = values(table.getChild('d'))
  const e = values(table.getChild('e'))
  const f = values(table.getChild('f'))
  let bad = 0
  for (let i = 0; i < ROWS; i++) {
    const x = cells(i)
    const day = 1 + (i % 28)
    const midnight = BigInt(Date.UTC(2024, 0, day)) * 1000n
    const wantC = i === LATE ? midnight + 45_000_000_000n : midnight
    const ok = a[i] === Number(x[0]) && b[i] === x[1] && c[i] === wantC && d[i] === x[3] && e[i] === x[4] && f[i] === x[5]
    if (!ok && bad++ < 5) t.fail(`row ${i}: ${JSON.stringify([a[i], b[i], String(c[i]), d[i], e[i], f[i]])}`)
  }
  t.equal(bad, 0, 'all rows read back intact')
  t.notOk(a.includes(null) || b.includes(null) || c.includes(null), 'no value became null')
})
