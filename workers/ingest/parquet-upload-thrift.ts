/**
 * A minimal Thrift compact-protocol decoder, enough for a Parquet footer (FileMetaData).
 * parquet-wasm exposes neither Parquet logical types nor column statistics, so uploads read
 * the footer themselves. Every read is bounds-checked: an uploaded file is untrusted, and a
 * corrupt footer must become a clear error, never a hang or a huge allocation. Pure.
 */

/** A decoded struct: field id → value (boolean, number, bigint for i64, Uint8Array, array, struct). */
export type ThriftStruct = Map<number, unknown>

export class ThriftError extends Error {}

const MAX_DEPTH = 64

export class CompactReader {
  pos = 0
  constructor(private readonly b: Uint8Array) {}

  #byte(): number {
    if (this.pos >= this.b.length) throw new ThriftError('unexpected end of footer')
    return this.b[this.pos++]!
  }

  #varint(): bigint {
    let shift = 0n
    let out = 0n
    for (let i = 0; i < 10; i++) {
      const byte = this.#byte()
      out |= BigInt(byte & 0x7f) << shift
      if (!(byte & 0x80)) return out
      shift += 7n
    }
    throw new ThriftError('varint too long')
  }

  #zigzag(): bigint {
    const n = this.#varint()
    return (n >> 1n) ^ -(n & 1n)
  }

  #size(): number {
    const n = Number(this.#varint())
    // every element takes at least one byte: a larger count is corrupt (and would allocate a lot)
    if (n > this.b.length - this.pos) throw new ThriftError('size beyond the footer')
    return n
  }

  #value(type: number, depth: number): unknown {
    switch (type) {
      case 1: return true
      case 2: return false
      case 3: { const v = this.#byte(); return v > 127 ? v - 256 : v }
      case 4: case 5: return Number(this.#zigzag())
      case 6: return this.#zigzag()
      case 7: {
        if (this.pos + 8 > this.b.length) throw new ThriftError('unexpected end of footer')
        const d = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getFloat64(0, true)
        this.pos += 8
        return d
      }
      case 8: {
        const n = this.#size()
        const s = this.b.subarray(this.pos, this.pos + n)
        this.pos += n
        return s
      }
      case 9: case 10: {
        const h = this.#byte()
        const size = h >> 4 === 15 ? this.#size() : h >> 4
        const et = h & 0x0f
        const out: unknown[] = []
        for (let i = 0; i < size; i++) out.push(et === 1 || et === 2 ? this.#byte() === 1 : this.#value(et, depth + 1))
        return out
      }
      case 11: {
        const size = this.#size()
        const m = new Map<unknown, unknown>()
        if (size === 0) return m
        const kv = this.#byte()
        for (let i = 0; i < size; i++) m.set(this.#value(kv >> 4, depth + 1), this.#value(kv & 0x0f, depth + 1))
        return m
      }
      case 12: return this.struct(depth + 1)
      case 13: {
        if (this.pos + 16 > this.b.length) throw new ThriftError('unexpected end of footer')
        const s = this.b.subarray(this.pos, this.pos + 16)
        this.pos += 16
        return s
      }
      default: throw new ThriftError(`unknown Thrift type ${type}`)
    }
  }

  struct(depth = 0): ThriftStruct {
    if (depth > MAX_DEPTH) throw new ThriftError('footer nested too deeply')
    const out: ThriftStruct = new Map()
    let id = 0
    for (;;) {
      const h = this.#byte()
      if (h === 0) return out
      const delta = h >> 4
      id = delta === 0 ? Number(this.#zigzag()) : id + delta
      out.set(id, this.#value(h & 0x0f, depth))
    }
  }
}
