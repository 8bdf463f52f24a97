// ByteSink.float writes String(x)'s text without String(x) (whose strings V8 allocates in the
// old generation: issue #9, scenario 6). Same text for decimals of every length, random
// doubles, both signs, the edges of the fixed notation and values near 1e15.
import t from 'tap'
import v8 from 'node:v8'
import { ByteSink } from '../workers/kernels/byte-sink.js'
import { formatFloat32 } from '../workers/kernels/text.js'
import { rng } from '../loadtest/generate.js'

function text(x: number): string {
  const s = new ByteSink()
  s.float(x)
  return s.take().toString()
}

t.test('the same text as String(x)', async (t) => {
  const r = rng(11)
  const xs: number[] = [
    0.1, 0.2, 0.1 + 0.2, 1.5, -1.5, 0.5, -0.5, 0.05, -0.05, 0.000001, 0.0000015, 1e-7, 1.25e-6, 5e-324, -5e-324,
    123.45, 999999999999.99, 99999999999999.9, 999999999999999.9, 1e15 + 0.5, 2 ** 53 + 2, 1e21, 1.5e21, 1e300, -1e-300,
    Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, Math.PI, -Math.E, 1 / 3, 2 / 3, 0.999999, 0.9999999, 1.0000001, 4.35, 0.07, 1.005,
  ]
  for (let i = 0; i < 200_000; i++) {
    const k = Math.floor(r() * 9)
    const e = Math.floor(r() * 16)
    const sign = r() < 0.3 ? -1 : 1
    xs.push(sign * Math.round(r() * 10 ** e) / 10 ** k) // decimals of 0..8 fraction digits
    xs.push(sign * r() * 10 ** (e - 8)) // full-precision doubles
    xs.push(sign * Math.fround(r() * 10 ** (e - 4))) // float32 values widened
  }
  let bad = 0
  for (const x of xs) {
    if (text(x) !== String(x) && bad++ < 10) t.fail(`${String(x)} written as ${text(x)}`)
  }
  t.equal(bad, 0, `${xs.length} values`)
})

t.test('decimals leave no garbage in the old generation', async (t) => {
  const s = new ByteSink()
  const r = rng(5)
  const xs = Float64Array.from({ length: 200_000 }, () => Math.round(r() * 1e7) / 100)
  const old = () => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!.space_used_size
  let grown = 0
  let prev = old()
  for (let i = 0; i < xs.length; i++) {
    s.float(xs[i]!)
    if (s.pos > 1 << 20) s.take()
    if ((i & 1023) === 0) { const o = old(); if (o > prev) grown += o - prev; prev = o }
  }
  // String(x) left ~24 bytes a value there (~4.8 MB for these)
  t.ok(grown < 1 << 20, `old space grew by ${grown} bytes over ${xs.length} floats`)
})

t.test('formatFloat32: whole integers, else the shortest text that reads back as the same float32, as String would spell it', async (t) => {
  const r = rng(32)
  const buf = new DataView(new ArrayBuffer(4))
  let bad = 0
  for (let k = 0; k < 200_000; k++) {
    // random bit patterns: every exponent, subnormals, both signs
    buf.setUint32(0, Math.floor(r() * 2 ** 32))
    const x = buf.getFloat32(0)
    if (!Number.isFinite(x)) continue
    const out = formatFloat32(x)
    const back = Number(out)
    // integers below 1e21 are written whole (they are exact), others as short as they go
    let shortest = true
    if (!(Number.isInteger(x) && Math.abs(x) < 1e21)) for (let p = 1; p < out.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length; p++) if (Math.fround(Number(x.toPrecision(p))) === x) shortest = false
    if (Math.fround(back) !== x || String(back) !== out || !shortest) { if (bad++ < 5) t.fail(`${x}: ${out}`) }
  }
  t.equal(bad, 0, 'every value round-trips, in String\'s spelling, and no shorter precision does')
  t.equal(formatFloat32(Math.fround(0.1)), '0.1')
  t.equal(formatFloat32(-0), '0')
  t.equal(formatFloat32(Number.NaN), 'NaN')
  t.equal(formatFloat32(-Infinity), '-Infinity')
  t.equal(formatFloat32(Math.fround(16777217)), '16777216')
})
