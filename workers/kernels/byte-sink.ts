/**
 * A growable byte buffer that text encoders write into directly: ASCII and UTF-8 strings,
 * integers as digits without allocating a string, dates/timestamps/times in their wire form.
 * Writing bytes is ~3-4x faster than concatenating a string per batch and encoding it.
 * One sink per encoder, reused across batches. Runs in worker threads.
 */
import { splitMicros } from './calendar.js'
import { formatDate } from './text.js'

const MIN_CAPACITY = 1 << 16
/** Most fraction digits ByteSink.float writes itself (see #decimal). */
const MAX_FRACTION = 6

export class ByteSink {
  buf: Buffer = Buffer.allocUnsafe(MIN_CAPACITY)
  pos = 0
  #lastDay = NaN
  #lastDayText = ''

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < this.pos + n) cap *= 2
    const next = Buffer.allocUnsafe(cap)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  /**
   * The bytes written since the last take(), as an exactly-sized copy with an ArrayBuffer of
   * its own (transferable without another copy); resets the sink.
   */
  take(): Uint8Array {
    const out = Buffer.allocUnsafeSlow(this.pos) // not zero-filled: every byte is copied over
    this.buf.copy(out, 0, 0, this.pos)
    this.pos = 0
    return out
  }

  byte(b: number): void {
    this.ensure(1)
    this.buf[this.pos++] = b
  }

  /** A string known to be ASCII (digits, base64, keys escaped by JSON.stringify of ASCII names...). */
  ascii(s: string): void {
    this.ensure(s.length)
    this.pos += this.buf.write(s, this.pos, 'latin1')
  }

  /** Any string, as UTF-8 (lone surrogates become U+FFFD). */
  utf8(s: string): void {
    this.ensure(s.length * 3)
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  /**
   * A JSON string literal. Short printable-ASCII strings are copied byte by byte (several
   * times faster than JSON.stringify + encode); anything else goes through JSON.stringify.
   */
  jsonString(s: string): void {
    const n = s.length
    this.ensure(n + 2)
    const buf = this.buf
    const start = this.pos
    let p = start
    buf[p++] = 34
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k)
      if (c < 32 || c > 126 || c === 34 || c === 92) { this.utf8(JSON.stringify(s)); return }
      buf[p++] = c
    }
    buf[p++] = 34
    this.pos = p
  }

  /** A CSV field for a text value (RFC 4180): quoted when empty or holding `"` `,` CR LF. */
  csvString(s: string, quoteIfNeeded: (s: string) => string): void {
    const n = s.length
    if (n === 0) { this.ascii('""'); return }
    this.ensure(n)
    const buf = this.buf
    let p = this.pos
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k)
      if (c > 127 || c === 34 || c === 44 || c === 13 || c === 10) { this.utf8(quoteIfNeeded(s)); return }
      buf[p++] = c
    }
    this.pos = p
  }

  /** A safe integer as decimal digits. */
  int(v: number): void {
    this.ensure(24)
    const buf = this.buf
    let p = this.pos
    if (v < 0) { buf[p++] = 45; v = -v }
    const start = p
    do { const q = Math.floor(v / 10); buf[p++] = 48 + (v - q * 10); v = q } while (v > 0)
    for (let x = start, y = p - 1; x < y; x++, y--) { const t = buf[x]!; buf[x] = buf[y]!; buf[y] = t }
    this.pos = p
  }

  /** A bigint as exact decimal digits. */
  bigint(v: bigint): void {
    if (v <= 9007199254740991n && v >= -9007199254740991n) this.int(Number(v))
    else this.ascii(v.toString())
  }

  /**
   * Shortest round-trip text of a finite float (NaN/±Infinity: callers decide), as String(x)
   * writes it. Never through String(x): V8 allocates the string it makes of a number in the
   * OLD generation (for its number-to-string cache), so a float column streamed as text left
   * ~24 bytes of old-space garbage per row for the next full GC, which a worker with a big
   * heap (a warm column cache) runs rarely: +100 MB of RSS per 5 M-row export (issue #9).
   * Values with at most MAX_FRACTION decimals (prices, measures) are written digit by digit;
   * the rest go through JSON.stringify, which formats numbers like String() in a new-space string.
   */
  float(x: number): void {
    if (Number.isSafeInteger(x)) { this.int(x === 0 ? 0 : x); return }
    if (!this.#decimal(x)) this.ascii(JSON.stringify(x))
  }

  /**
   * Writes x as the decimal r / 10^k with the fewest fraction digits k ≤ MAX_FRACTION that
   * reads back as x; false when there is none. That is String(x)'s text: with at most 15
   * significant digits (|r| < 1e15) no two such decimals read back as the same double, so none
   * shorter reads back as x either (the smallest k found first), and 1e-6 ≤ |x| < 1e15 is
   * where String() never uses an exponent.
   */
  #decimal(x: number): boolean {
    let scale = 1
    for (let k = 1; k <= MAX_FRACTION; k++) {
      scale *= 10
      const r = Math.round(x * scale)
      if (r / scale !== x || r >= 1e15 || r <= -1e15) continue
      let a = r
      if (a < 0) { this.byte(45); a = -a }
      let frac = a % scale
      this.int((a - frac) / scale)
      this.ensure(k + 1)
      const buf = this.buf
      buf[this.pos] = 46
      for (let d = k; d >= 1; d--) { const q = Math.floor(frac / 10); buf[this.pos + d] = 48 + (frac - q * 10); frac = q }
      this.pos += k + 1
      return true
    }
    return false
  }

  #two(v: number): void {
    const q = Math.floor(v / 10)
    this.buf[this.pos++] = 48 + q
    this.buf[this.pos++] = 48 + (v - q * 10)
  }

  /** YYYY-MM-DD (years outside 0..9999 as ISO 8601 expanded years). */
  date(days: number): void {
    if (days !== this.#lastDay) {
      this.#lastDay = days
      this.#lastDayText = formatDate(days)
    }
    this.ascii(this.#lastDayText)
  }

  /** HH:MM:SS.ffffff of µs since midnight. */
  timeOfDay(us: number): void {
    this.ensure(15)
    const secs = Math.floor(us / 1_000_000)
    let frac = us - secs * 1_000_000
    const h = Math.floor(secs / 3600)
    const mi = Math.floor((secs - h * 3600) / 60)
    const s = secs - h * 3600 - mi * 60
    if (h >= 100) this.ascii(String(h)); else this.#two(h)
    this.buf[this.pos++] = 58
    this.#two(mi)
    this.buf[this.pos++] = 58
    this.#two(s)
    this.buf[this.pos++] = 46
    for (let k = 5; k >= 0; k--) { const q = Math.floor(frac / 10); this.buf[this.pos + k] = 48 + (frac - q * 10); frac = q }
    this.pos += 6
  }

  /** 2024-03-01T10:00:00.000000Z of µs since epoch (UTC). */
  timestamp(us: bigint): void {
    const { days, micros } = splitMicros(us)
    this.date(days)
    this.byte(84)
    this.timeOfDay(micros)
    this.byte(90)
  }
}
