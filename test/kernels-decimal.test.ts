import t from 'tap'
import {
  compareDecimalText, decimalToUnscaled, readDecimalWords, rescaleDecimal, unscaledNumber, unscaledToDecimal, writeDecimalWords,
} from '../workers/kernels/decimal.js'
import { rng } from './helpers/kernels.js'

/** Reference: text -> unscaled bigint at `scale`, for texts with at most `scale` fraction digits. */
function ref(text: string, scale: number): bigint {
  const neg = text.startsWith('-')
  const [i, f = ''] = text.replace(/^[-+]/, '').split('.')
  const v = BigInt((i || '0') + f.padEnd(scale, '0'))
  return neg ? -v : v
}

t.test('text <-> unscaled', async (t) => {
  t.equal(decimalToUnscaled('12.30', 2), 1230n)
  t.equal(decimalToUnscaled('-0.05', 2), -5n)
  t.equal(decimalToUnscaled('12.345', 2), 1235n) // half away from zero
  t.equal(decimalToUnscaled('-12.345', 2), -1235n)
  t.equal(decimalToUnscaled('1.5e3', 0), 1500n)
  t.equal(decimalToUnscaled('125', -1), 13n)
  t.equal(unscaledToDecimal(-5n, 2), '-0.05')
  t.equal(unscaledToDecimal(5, 0), '5')
  t.equal(unscaledToDecimal(0n, 3), '0.000')
  t.equal(unscaledToDecimal(13n, -1), '130')
  t.equal(rescaleDecimal('1.5', 3), '1.500')
  t.equal(rescaleDecimal('-1.005', 2), '-1.01')
  t.equal(unscaledNumber('12.3', 2), 1230)
  t.ok(Number.isNaN(unscaledNumber('12.345', 2)))
  t.ok(Number.isNaN(unscaledNumber('1234567890123456', 0)))
  t.ok(Number.isNaN(unscaledNumber('1e5', 0)))
  t.ok(Number.isNaN(unscaledNumber('-', 0)))
  t.ok(Number.isNaN(unscaledNumber('.', 0)))
  t.throws(() => decimalToUnscaled('abc', 2))
  const r = rng(3)
  for (let k = 0; k < 2000; k++) {
    const digits = Array.from({ length: 1 + Math.floor(r() * 30) }, () => Math.floor(r() * 10)).join('')
    const cut = Math.floor(r() * digits.length)
    const scale = digits.length - cut + Math.floor(r() * 3)
    const text = (r() < 0.5 ? '-' : '') + digits.slice(0, cut) + (cut < digits.length ? '.' + digits.slice(cut) : '')
    const want = ref(text, scale)
    if (decimalToUnscaled(text, scale) !== want) { t.fail(`decimalToUnscaled ${text} @${scale}`); break }
    const fast = unscaledNumber(text, scale)
    if (fast === fast && BigInt(fast) !== want) { t.fail(`unscaledNumber ${text} @${scale}`); break }
    if (ref(unscaledToDecimal(want, scale), scale) !== want) { t.fail(`unscaledToDecimal ${want} @${scale}`); break }
  }
  t.equal(compareDecimalText('1.5', '1.50'), 0)
  t.equal(compareDecimalText('-1.5', '1'), -1)
  t.equal(compareDecimalText('10', '9.999'), 1)
})

t.test('Decimal128 words round trip through two\'s complement', async (t) => {
  const r = rng(8)
  const words = new Uint32Array(4)
  const samples = ['0', '-1', '1', '9007199254740991', '-9007199254740992', '170141183460469231731687303715884105727', '-170141183460469231731687303715884105728']
  for (let k = 0; k < 1000; k++) samples.push((r() < 0.5 ? '-' : '') + String(Math.floor(r() * 1e9)) + String(Math.floor(r() * 1e9)).repeat(1 + Math.floor(r() * 3)))
  for (const s of samples) {
    writeDecimalWords(words, 0, 4, s, 0)
    let u = 0n
    for (let k = 3; k >= 0; k--) u = (u << 32n) | BigInt(words[k]!)
    if (u !== BigInt.asUintN(128, BigInt(s))) { t.fail(`words of ${s}`); return }
    if (BigInt(readDecimalWords(words, 0, 4)) !== BigInt(s)) { t.fail(`read ${s}`); return }
  }
  t.throws(() => writeDecimalWords(words, 0, 4, '170141183460469231731687303715884105728', 0), RangeError)
  t.pass('all samples')
})
