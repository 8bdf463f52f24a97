/**
 * Batch imports: every table of a schema whose name matches a glob, imported a bounded
 * number at a time, as one job of kind `import-batch` named by the batch name. The job's
 * progress lists each table's state; cancelling the job stops the running copies (each
 * import removes what it wrote) and leaves the finished tables in place.
 */
import { invalidParameter } from '../../proto/errors.js'
import type { Principal } from '../../proto/principal.js'
import { validateDatasetName } from '../catalog/index.js'
import { SluiceError } from '../../proto/errors.js'
import type { PgRuntime } from '../connectors/postgres-runtime.js'
import { quoteIdent } from '../connectors/postgres-discover.js'
import { importTable, type ImportDeps } from './import.js'
import type { JobContext } from './runner.js'

export const IMPORT_BATCH_KIND = 'import-batch'
/** Tables copied at once by one batch (each also holds one connector slot). */
export const BATCH_CONCURRENCY = 2
/** Tables one batch may import. */
export const BATCH_MAX_TABLES = 1000

export type BatchTableState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface BatchTable {
  source_table: string
  name: string
  state: BatchTableState
  rows_copied: number
  error: { error: string; message: string } | null
}

export interface BatchInput {
  connectorId: string
  schema: string
  pattern: string
  prefix: string
  settings: unknown
}

/** A glob (`*` any run, `?` one character; everything else literal) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  if (glob.length === 0 || glob.length > 200) throw invalidParameter('pattern', 'must be a glob of 1 to 200 characters, e.g. "sales_*"')
  const body = [...glob].map((ch) => ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')).join('')
  return new RegExp(`^${body}$`, 'su')
}

/** Tables (and views) of `schema` whose names match the glob, by name. */
export async function matchingTables(rt: PgRuntime, schema: string, pattern: string, signal: AbortSignal): Promise<string[]> {
  const re = globToRegExp(pattern)
  const names = await rt.withClient(async (c) => {
    const r = await c.query<{ relname: string }>(
      `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname COLLATE "C"`, [schema])
    return r.rows.map((row) => row.relname)
  }, signal)
  return names.filter((n) => re.test(n))
}

/** The tables of a batch with their target names; a name that is invalid or taken fails that table only. */
export function planBatch(deps: ImportDeps, p: Principal, input: BatchInput, tables: string[]): BatchTable[] {
  if (tables.length > BATCH_MAX_TABLES) throw invalidParameter('pattern', `matches ${tables.length} tables; a batch imports at most ${BATCH_MAX_TABLES}`)
  return tables.map((t) => {
    const name = `${input.prefix}${t}`
    const entry: BatchTable = { source_table: `${quoteIdent(input.schema)}.${quoteIdent(t)}`, name, state: 'queued', rows_copied: 0, error: null }
    try {
      validateDatasetName(name)
      if (deps.datasets.isNameTaken(p.org, name)) throw new SluiceError(409, 'dataset_name_taken', `a dataset named "${name}" already exists`)
    } catch (err) {
      const e = err as SluiceError
      entry.state = 'failed'
      entry.error = { error: e.code, message: e.message }
    }
    return entry
  })
}

function batchPercent(tables: BatchTable[]): number {
  if (tables.length === 0) return 100
  const done = tables.filter((t) => t.state !== 'queued' && t.state !== 'running').length
  return Math.floor((done / tables.length) * 100)
}

/** Runs a batch: BATCH_CONCURRENCY imports at a time; each table's outcome lands in the job's progress. */
export async function runBatch(deps: ImportDeps, p: Principal, input: BatchInput, tables: BatchTable[], job: JobContext): Promise<{ tables: BatchTable[] }> {
  const publish = (phase: string) => job.progress({ phase, percent: batchPercent(tables), tables: tables.map((t) => ({ ...t })) })
  publish('importing')
  const queue = tables.filter((t) => t.state === 'queued')
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (job.signal.aborted) { t.state = 'cancelled'; continue }
      t.state = 'running'
      publish('importing')
      // Each table reports its rows into its own entry; the job's percent counts finished tables.
      const tableJob: JobContext = {
        id: job.id, signal: job.signal, setDataset: () => {},
        progress: (u) => { if (typeof u.rows_copied === 'number') { t!.rows_copied = u.rows_copied; publish('importing') } },
      }
      try {
        const d = await importTable(deps, p, { connectorId: input.connectorId, sourceTable: t.source_table, name: t.name, rename: {}, settings: input.settings, description: `imported from ${t.source_table}` }, tableJob, job.signal)
        t.state = 'succeeded'
        t.rows_copied = d.rowCount ?? t.rows_copied
      } catch (err) {
        if (job.signal.aborted) t.state = 'cancelled'
        else {
          t.state = 'failed'
          t.error = err instanceof SluiceError ? { error: err.code, message: err.message } : { error: 'internal', message: 'internal error' }
        }
      }
      publish('importing')
    }
  }
  await Promise.all(Array.from({ length: BATCH_CONCURRENCY }, worker))
  job.signal.throwIfAborted()
  publish('done')
  return { tables }
}
