// The bench rows of loadtest/generate.ts (same seed, same bytes), for k6, which cannot write
// files: an upload body is built in memory from a block of generated rows repeated.

const REGIONS = ['EU', 'US', 'APAC', 'LATAM', 'MEA', 'NA', 'ANZ', 'CEE']
const STATUSES = ['new', 'paid', 'shipped', 'returned', 'cancelled']
const COUNTRIES = []
for (let i = 0; i < 60; i++) COUNTRIES.push('C' + String(i).padStart(2, '0'))

export const CSV_HEADER = 'ts,region,country,user_id,email,amount,qty,status,flag'

/** mulberry32, as in loadtest/generate.ts. */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `rows` CSV lines (no header), each ending in "\n": the first rows writeBenchCsv(file, rows, seed) writes. */
export function benchRows(rows, seed) {
  const r = rng(seed)
  const base = Date.UTC(2024, 0, 1) / 1000
  const out = []
  for (let i = 0; i < rows; i++) {
    const ts = new Date((base + Math.floor(r() * 365 * 86400)) * 1000).toISOString()
    const country = COUNTRIES[Math.floor(COUNTRIES.length * r() * r())]
    const user = Math.floor(r() * 1000000) + 1
    const status = r() < 0.03 ? '' : STATUSES[Math.floor(r() * 5)]
    out.push(`${ts},${REGIONS[Math.floor(r() * 8)]},${country},${user},user${user}@example.com,${(r() * 1000).toFixed(2)},${Math.floor(r() * 20) + 1},${status},${r() < 0.5}\n`)
  }
  return out.join('')
}

/**
 * A CSV of about `targetBytes` (never more, short by less than one row): header + one block of
 * `blockRows` generated rows repeated, then the block's first rows to fill up. Generating every
 * row would take minutes in k6's JS engine at 200 MB; repeating a block costs a copy. Rows
 * repeat every `blockRows` lines, so Parquet compresses it better than real data; parsing
 * costs the same. Returns { csv, rows }.
 */
export function benchCsv(targetBytes, block, blockRows) {
  const room = Math.max(0, targetBytes - CSV_HEADER.length - 1)
  const repeats = Math.floor(room / block.length)
  const rest = room - repeats * block.length
  const cut = block.lastIndexOf('\n', rest - 1) // the last whole line that fits
  const tail = rest > 0 && cut >= 0 ? block.slice(0, cut + 1) : ''
  return { csv: CSV_HEADER + '\n' + block.repeat(repeats) + tail, rows: repeats * blockRows + countLines(tail) }
}

function countLines(s) {
  let n = 0
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++
  return n
}
