import { createEncoder } from './workers/kernels/encode.js'
import type { Batch, Column } from './proto/batch.js'
const N = 200_000
const cols: Column[] = [
  { name: 'region', type: 'string', values: Array.from({ length: N }, (_, i) => ['EU', 'US'][i % 2]!), nulls: null },
  { name: 'qty', type: 'int64', values: BigInt64Array.from({ length: N }, (_, i) => BigInt(i % 1000)), nulls: null },
  { name: 'i32', type: 'int32', values: Int32Array.from({ length: N }, (_, i) => i), nulls: null },
  { name: 'price', type: 'float64', values: Float64Array.from({ length: N }, (_, i) => (i % 997) * 1.25), nulls: null },
  { name: 'ts', type: 'timestamp', values: BigInt64Array.from({ length: N }, (_, i) => 1709287200000000n + BigInt(i) * 1000000n), nulls: null },
  { name: 'dec', type: 'decimal', precision: 12, scale: 2, values: Array.from({ length: N }, (_, i) => (i % 10000) + '.' + String(i % 100).padStart(2, '0')), nulls: null },
]
const time = (label: string, f: () => unknown) => { const t0 = performance.now(); f(); console.log(label.padEnd(30), (performance.now() - t0).toFixed(0), 'ms') }
for (let rep = 0; rep < 3; rep++) {
for (const c of cols) {
  for (const fmt of ['json', 'csv'] as const) {
    const enc = createEncoder(fmt, [{ name: c.name, type: c.type, masked: false, logical: c.type }])
    const b: Batch = { length: N, columns: [c] }
    time(fmt + ' ' + c.name, () => enc.batch(b))
  }
}
const enc = createEncoder('json', cols.map(c => ({ name: c.name, type: c.type, masked: false, logical: c.type })))
time('json all', () => enc.batch({ length: N, columns: cols }))
const enc2 = createEncoder('csv', cols.map(c => ({ name: c.name, type: c.type, masked: false, logical: c.type })))
time('csv all', () => enc2.batch({ length: N, columns: cols }))
}
