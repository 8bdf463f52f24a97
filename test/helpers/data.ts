/** Seeded test data: the same rows as CSV for upload and as JS objects for expected results. */
export interface Row {
  id: number
  region: string | null
  ts: string // ISO UTC with µs, as the API encodes timestamps
  day: string
  qty: number
  amount: number | null
  ok: boolean
  label: string
}

import { rng } from '../../loadtest/generate.js'
export { rng }

const REGIONS = ['EU', 'US', 'APAC', 'LATAM']
const LABELS = ['alpha', 'Beta', 'gamma, with comma', 'dé"lta', 'émoji 😀', 'zeta', 'Ωmega', '']

export function generateRows(n: number, seed = 42): Row[] {
  const r = rng(seed)
  const base = Date.UTC(2024, 0, 1)
  const rows: Row[] = []
  for (let i = 0; i < n; i++) {
    const ms = base + Math.floor(r() * 90 * 86400) * 1000
    const iso = new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
    rows.push({
      id: i + 1,
      region: r() < 0.1 ? null : REGIONS[Math.floor(r() * REGIONS.length)],
      ts: iso,
      day: iso.slice(0, 10),
      qty: Math.floor(r() * 100) - 10,
      amount: r() < 0.05 ? null : Math.round(r() * 100000) / 100,
      ok: r() < 0.5,
      label: LABELS[Math.floor(r() * LABELS.length)] || 'plain',
    })
  }
  return rows
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

export function toCsv(rows: Row[]): string {
  const head = 'id,region,ts,day,qty,amount,ok,label\n'
  return head + rows.map((x) => [x.id, x.region ?? '', x.ts, x.day, x.qty, x.amount ?? '', x.ok, csvField(x.label)].join(',')).join('\n') + '\n'
}
