/**
 * Data file paths in the log. `add.path` / `remove.path` are RFC 2396 URIs (PROTOCOL.md "Add
 * File and Remove File"): decoded exactly once they give the path on disk. Spark writes the
 * on-disk directory `x=A%2FA` (Hive escaping of the value "A/A") as `x=A%252FA`.
 *
 * Pure; runs on any thread.
 */
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SluiceError } from '../../proto/errors.js'

export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__'

const HEX2 = /^[0-9a-fA-F]{2}$/

/**
 * Percent-decodes once. Sequences that are not `%XX` stay as they are (some writers put a
 * bare `%` into paths), and decoded bytes are read as UTF-8.
 */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s
  let out = ''
  const bytes: number[] = []
  const flush = () => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8')
      bytes.length = 0
    }
  }
  for (let i = 0; i < s.length; ) {
    const hex = s.slice(i + 1, i + 3)
    if (s[i] === '%' && HEX2.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 3
    } else {
      flush()
      out += s[i]
      i++
    }
  }
  flush()
  return out
}

/** Encodes a relative on-disk path (with `/` separators) for `add.path`; `=` stays readable. */
export function encodeAddPath(relativePath: string): string {
  return relativePath
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/g, '='))
    .join('/')
}

const SCHEME_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/**
 * The absolute local path of a data file named in the log, decoded once.
 * Throws `422 unsupported_table` for non-local URIs (s3://, abfss://, ...) and for files
 * outside the table directory: a log must not make Sluice read another table's (or another
 * org's) files.
 */
export function resolveDataPath(tablePath: string, logPath: string): string {
  const root = path.resolve(tablePath)
  let abs: string
  if (SCHEME_RE.test(logPath) && !/^[a-zA-Z]:[\\/]/.test(logPath)) {
    let url: URL
    try {
      url = new URL(logPath)
    } catch {
      throw new SluiceError(422, 'unsupported_table', `data file path "${logPath}" is not a valid URI`)
    }
    if (url.protocol !== 'file:') {
      throw new SluiceError(422, 'unsupported_table', `data file "${logPath}" is not on local storage`)
    }
    abs = fileURLToPath(url)
  } else {
    abs = path.resolve(root, percentDecode(logPath))
  }
  const rel = path.relative(root, abs)
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new SluiceError(422, 'unsupported_table', `data file "${logPath}" is outside the table directory`)
  }
  return abs
}

// Characters Spark/Hive escape in partition directory names (ExternalCatalogUtils).
const HIVE_ESCAPED = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\x7f', '{', '[', ']', '^'])

/** Hive-escapes a partition column name or value for a directory name. */
export function escapePartitionPathPart(s: string): string {
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if ((code >= 0x01 && code <= 0x1f) || HIVE_ESCAPED.has(ch)) {
      out += '%' + code.toString(16).toUpperCase().padStart(2, '0')
    } else {
      out += ch
    }
  }
  return out
}

/**
 * The Hive-style directory (`col=value/...`) for serialized partition values; a null or empty
 * value is `__HIVE_DEFAULT_PARTITION__`. The result is an on-disk path: pass the full file path
 * through `encodeAddPath` for the log.
 */
export function partitionDirectory(columns: string[], values: Record<string, string | null | undefined>): string {
  return columns
    .map((c) => {
      const v = values[c]
      return `${escapePartitionPathPart(c)}=${v === null || v === undefined || v === '' ? HIVE_DEFAULT_PARTITION : escapePartitionPathPart(v)}`
    })
    .join('/')
}
