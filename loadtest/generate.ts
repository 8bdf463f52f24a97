/**
 * Deterministic benchmark data (seeded): ts, region (8 values), country (~60, skewed),
 * user_id (int64, ~1 M distinct), email (PII), amount (float64), qty (int32 range),
 * status (5 values, some nulls), flag (boolean). Written as CSV, streamed to disk.
 */
import fs from 'node:fs'

const REGIONS = ['EU', 'US', 'APAC', 'LATAM', 'MEA', 'NA', 'ANZ', 'CEE']
const STATUSES = ['new', 'paid', 'shipped', 'returned', 'cancelled']
const COUNTRIES = Array.from({ length: 60 }, (_, i) => `C${String(i).padStart(2, '0')}`)

/** mulberry32: a tiny deterministic PRNG, so every run uses the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const CSV_HEADER = 'ts,region,country,user_id,email,amount,qty,status,flag'

/** Writes `rows` rows to `file`; returns the byte size. */
export async function writeBenchCsv(file: string, rows: number, seed = 7): Promise<number> {
  const r = rng(seed)
  const out = fs.createWriteStream(file)
  const base = Date.UTC(2024, 0, 1) / 1000
  let chunk = CSV_HEADER + '\n'
  for (let i = 0; i < rows; i++) {
    const ts = new Date((base + Math.floor(r() * 365 * 86400)) * 1000).toISOString()
    const country = COUNTRIES[Math.floor(COUNTRIES.length * r() * r())] // skewed to the low codes
    const user = Math.floor(r() * 1_000_000) + 1
    const status = r() < 0.03 ? '' : STATUSES[Math.floor(r() * 5)]
    chunk += `${ts},${REGIONS[Math.floor(r() * 8)]},${country},${user},user${user}@example.com,${(r() * 1000).toFixed(2)},${Math.floor(r() * 20) + 1},${status},${r() < 0.5}\n`
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()))
      chunk = ''
    }
  }
  out.end(chunk)
  await new Promise<void>((res, rej) => { out.on('finish', () => res()); out.on('error', rej) })
  return fs.statSync(file).size
}
