/**
 * A faster reader of the CopyData messages of `COPY ... TO STDOUT` for pg-copy-streams' copy-to
 * stream. PostgreSQL sends one CopyData message per row (`d`, a 4-byte length, the row's
 * text); pg-copy-streams 7 takes each message apart with a Buffer slice, a list push and, per
 * socket read, a zero-filled Buffer it copies every row into: several allocations and a
 * native copy per row. Reading the 9-column bench table's COPY output took ~490 ns of CPU per
 * row that way and ~240 ns this way (rest: the socket, the stream, the async iteration).
 *
 * Here the messages of a socket chunk are walked in place and their payloads moved to the
 * front of the same chunk (`copyWithin`; the chunk is ours: pg-copy-streams reads it from the
 * socket and would slice it itself), and the chunk's payload bytes are pushed as one
 * subarray. Anything but CopyData (CopyDone, an ErrorResponse, notices...) and whatever
 * follows it in the chunk goes to the library's own parser, which then carries on exactly as
 * without this; it keeps the chunks until it is back at a message boundary. A message split
 * across chunks is continued here (`unread`), and a header split across chunks is joined
 * with the next chunk.
 *
 * Relies on the stream's private fields (pg-copy-streams 7.0.x, pinned by package-lock); when
 * they are not there the stream is left alone (`fastCopyOut` returns false) and everything
 * still works, only slower.
 */

interface CopyToInternals {
  _parse(chunk: Buffer): boolean | undefined
  _state: number
  _buffer: { size: number } | null
  _copyDataChunks: { size: number } | null
  push(chunk: Buffer | null): boolean
}

const PG_CODE = 0
const COPY_DATA = 0x64
const HEADER = 5

/** Install the fast parser on a fresh copy-to stream; false when the stream is not the expected version. */
export function fastCopyOut(stream: object): boolean {
  const s = stream as CopyToInternals
  const original = s._parse
  if (typeof original !== 'function' || s._state !== PG_CODE || typeof s._buffer?.size !== 'number' || typeof s._copyDataChunks?.size !== 'number') return false
  /** payload bytes of the current CopyData message not yet read (it continues in the next chunk) */
  let unread = 0
  /** the start of a message header cut by the end of a chunk */
  let head: Buffer | null = null
  s._parse = function parse(this: CopyToInternals, chunk: Buffer): boolean | undefined {
    // the library is inside a message of its own (or holds part of one): it goes on with it
    if (this._buffer === null || this._state !== PG_CODE || this._buffer.size !== 0) return original.call(this, chunk)
    if (head !== null) {
      chunk = Buffer.concat([head, chunk])
      head = null
    }
    const n = chunk.length
    let i = 0
    let o = 0
    if (unread > 0) {
      // the rest of a message begun in an earlier chunk: already at the front
      i = o = Math.min(unread, n)
      unread -= i
    }
    while (i < n && chunk[i] === COPY_DATA) {
      if (n - i < HEADER) {
        head = Buffer.from(chunk.subarray(i)) // a copy: the chunk's bytes before it are pushed below
        i = n
        break
      }
      const len = ((chunk[i + 1]! << 24) | (chunk[i + 2]! << 16) | (chunk[i + 3]! << 8) | chunk[i + 4]!) - 4
      i += HEADER
      if (len < 0) { i -= HEADER; break } // not a valid length: the library's parser decides
      const k = Math.min(len, n - i)
      if (k > 0 && o !== i) chunk.copyWithin(o, i, i + k)
      o += k
      i += k
      unread = len - k
    }
    let drained = true
    if (o > 0) drained = this.push(chunk.subarray(0, o))
    if (i < n) {
      // another message: the library's parser takes it and everything after it in this chunk
      const rest = original.call(this, chunk.subarray(i))
      return rest === undefined ? rest : rest && drained
    }
    return drained
  }
  return true
}
