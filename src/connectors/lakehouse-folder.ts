/**
 * The built-in `lakehouse` connector's view of the disk: each org owns
 * `$DATA_DIR/lakehouse/<org>/` (created on demand) and nothing else. Every path a caller
 * names (`source_table`, the browse `schema`) is checked twice: as text (no `..`, no absolute
 * paths, no backslashes, NUL or control characters, no percent-encoded traversal), then on
 * disk (realpath, so a symlink inside the folder cannot lead out of it). Reads of registered
 * tables are re-checked at query time (`assertInsideOrg`), since files can change after
 * registration.
 *
 * Error codes (README, "Lakehouse connector"):
 * - a malformed path, a path that does not exist, is not a folder, is the org folder itself
 *   or resolves outside it: `422 invalid_parameter` naming the parameter. Not existing and
 *   resolving outside give the same message, so links cannot probe the disk outside.
 * - a folder that is neither a Delta table nor a Parquet folder: `422 not_a_delta_table`.
 * - a table whose log or data files lead outside the org folder: `422 unsupported_table`.
 *
 * I/O (fs.promises); main thread.
 */
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { SluiceError, invalidParameter } from '../../proto/errors.js'

export const LAKEHOUSE_CONNECTOR_ID = 'lakehouse'
export type TableKind = 'delta' | 'parquet'

const SAFE_ORG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const MAX_PATH_CHARS = 1024
const MAX_SEGMENTS = 32
const MAX_SEGMENT_BYTES = 255
/** Deepest Hive partition nesting looked into when deciding whether a folder holds Parquet. */
export const MAX_PARTITION_DEPTH = 16

/**
 * The folder name of an org under `$DATA_DIR/lakehouse/`: the org id itself when it is a
 * plain name (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), else `~` + base64url of it (or of its
 * SHA-256 when that would be too long), so no org id can name a path outside.
 */
export function orgFolderName(org: string): string {
  if (SAFE_ORG.test(org)) return org
  const encoded = Buffer.from(org, 'utf8').toString('base64url')
  return encoded.length <= 200 ? `~${encoded}` : `~~${crypto.createHash('sha256').update(org).digest('hex')}`
}

/** `$DATA_DIR/lakehouse/<org>/`, created if missing; returns its real path. */
export async function orgLakehouseRoot(dataDir: string, org: string): Promise<string> {
  const dir = path.join(dataDir, 'lakehouse', orgFolderName(org))
  await fs.promises.mkdir(dir, { recursive: true })
  return fs.promises.realpath(dir)
}

/** true when `p` is strictly inside `root` (both absolute, normalised). */
export function isStrictlyInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/** Percent-decodes up to three times (stops when nothing changes or the text is not valid). */
function decodedForms(seg: string): string[] {
  const forms = [seg]
  let cur = seg
  for (let i = 0; i < 3 && cur.includes('%'); i++) {
    let next: string
    try { next = decodeURIComponent(cur) } catch { break }
    if (next === cur) break
    forms.push(next)
    cur = next
  }
  return forms
}

/**
 * Checks a caller's relative path (`folder/table`) as text and returns its segments.
 * Throws `422 invalid_parameter` naming `param`.
 */
export function parseRelativePath(raw: unknown, param: string): string[] {
  if (typeof raw !== 'string' || raw === '') throw invalidParameter(param, 'a path relative to the org\'s lakehouse folder, such as "sales/orders", is required')
  const bad = (why: string) => invalidParameter(param, `${JSON.stringify(raw.slice(0, 200))} ${why}`)
  if (raw.length > MAX_PATH_CHARS) throw invalidParameter(param, `at most ${MAX_PATH_CHARS} characters`)
  if (raw.includes('\\')) throw bad('must use "/" as separator (no backslashes)')
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw bad('must not contain NUL or control characters')
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw bad('must be relative to the org\'s lakehouse folder, not absolute')
  const segments = raw.split('/')
  if (segments[segments.length - 1] === '') segments.pop() // one trailing slash is fine
  if (segments.length > MAX_SEGMENTS) throw bad(`has more than ${MAX_SEGMENTS} segments`)
  for (const seg of segments) {
    if (seg === '') throw bad('has an empty segment ("//")')
    if (Buffer.byteLength(seg) > MAX_SEGMENT_BYTES) throw bad(`has a segment longer than ${MAX_SEGMENT_BYTES} bytes`)
    for (const form of decodedForms(seg)) {
      if (form === '.' || form === '..') throw bad('must not contain "." or ".." segments (also percent-encoded)')
      if (form !== seg && /[/\\\u0000]/.test(form)) throw bad('must not contain percent-encoded separators or NUL')
    }
  }
  return segments
}

const notInside = (param: string, rel: string) =>
  invalidParameter(param, `"${rel.slice(0, 200)}" is not a folder inside the org's lakehouse folder`)

/**
 * Resolves checked segments inside the org root to a real folder path. Throws
 * `422 invalid_parameter` when it does not exist, is not a folder, is the root itself, or
 * resolves (through links) outside the root.
 */
export async function resolveInOrg(root: string, segments: string[], param: string): Promise<{ realPath: string; relPath: string }> {
  const relPath = segments.join('/')
  const lexical = path.resolve(root, ...segments)
  if (!isStrictlyInside(root, lexical)) throw notInside(param, relPath) // defence in depth: parseRelativePath forbids this
  let real: string
  try {
    real = await fs.promises.realpath(lexical)
  } catch {
    throw notInside(param, relPath) // ENOENT, ENOTDIR, ELOOP, EACCES: all "not there"
  }
  if (real === root) throw invalidParameter(param, `"${relPath.slice(0, 200)}" is the org's lakehouse folder itself, not a table in it`)
  if (!isStrictlyInside(root, real)) throw notInside(param, relPath)
  const st = await fs.promises.stat(real)
  if (!st.isDirectory()) throw invalidParameter(param, `"${relPath.slice(0, 200)}" is a file; name the folder of a Delta table or of Parquet files`)
  return { realPath: real, relPath }
}

/**
 * Throws `422 unsupported_table` unless `p` (after links) is inside `root`; a path that does
 * not exist passes (nothing will be read from it).
 */
export async function assertInsideOrg(root: string, p: string): Promise<void> {
  let real: string
  try {
    real = await fs.promises.realpath(p)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return
    throw new SluiceError(422, 'unsupported_table', `"${path.relative(root, p)}" cannot be resolved`, undefined, { cause: err })
  }
  if (!isStrictlyInside(root, real)) {
    throw new SluiceError(422, 'unsupported_table', `"${path.relative(root, p)}" leads outside the org's lakehouse folder`)
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => { while (next < items.length) await fn(items[next++]!) }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** Names Spark, Hive and Delta use for side files and folders: never tables, never data. */
export const isHiddenName = (name: string) => name.startsWith('.') || name.startsWith('_')

/**
 * The visible sub-folders of `dir` (sorted by code unit), following links only when they
 * resolve to a folder inside `root`.
 */
export async function listSubfolders(root: string, dir: string): Promise<string[]> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true })
  const out: string[] = []
  for (const e of entries) {
    if (isHiddenName(e.name)) continue
    if (e.isDirectory()) out.push(e.name)
    else if (e.isSymbolicLink()) {
      try {
        const real = await fs.promises.realpath(path.join(dir, e.name))
        if (isStrictlyInside(root, real) && (await fs.promises.stat(real)).isDirectory()) out.push(e.name)
      } catch {
        // a dangling or looping link: not a folder
      }
    }
  }
  return out.sort()
}

const isParquetName = (name: string) => name.toLowerCase().endsWith('.parquet')
const isPartitionDirName = (name: string) => name.indexOf('=') > 0

/**
 * What kind of table the folder `dir` is: `delta` with a `_delta_log` folder, `parquet` when
 * it holds `.parquet` files directly or in Hive partition folders (`k=v/`), else null.
 * Looks no deeper than MAX_PARTITION_DEPTH and stops at the first Parquet file.
 */
export async function classifyFolder(dir: string): Promise<TableKind | null> {
  try {
    const st = await fs.promises.stat(path.join(dir, '_delta_log'))
    if (st.isDirectory()) return 'delta'
  } catch {
    // no log
  }
  let level = [dir]
  for (let depth = 0; depth <= MAX_PARTITION_DEPTH && level.length > 0; depth++) {
    const next: string[] = []
    for (const d of level) {
      let entries: fs.Dirent[]
      try { entries = await fs.promises.readdir(d, { withFileTypes: true }) } catch { continue }
      for (const e of entries) {
        if (isHiddenName(e.name)) continue
        if ((e.isFile() || e.isSymbolicLink()) && isParquetName(e.name)) return 'parquet'
        if ((e.isDirectory() || e.isSymbolicLink()) && isPartitionDirName(e.name)) next.push(path.join(d, e.name))
      }
    }
    level = next
  }
  return null
}

export { isParquetName, isPartitionDirName }
