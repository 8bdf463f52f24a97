/**
 * Conflict checks for a commit that lost the race for its version (a simplified form of
 * Delta's ConflictChecker, write-serializable): given the commits that won between the
 * version the writer read and the newest one, either the writer's actions still make sense
 * on top of them (retry at the next free version, possibly rebased) or it must fail with
 * `409 concurrent_modification` naming what conflicted.
 *
 * Rules, for each winning commit in version order:
 *  - a writer that changes metaData conflicts with any winner at all;
 *  - a winner that changes protocol or metaData conflicts with every writer except a blind
 *    append, which survives when the table is still writable and its files still fit the new
 *    schema (same table id and partition columns; compareSchemas finds nothing);
 *  - a winner that commits a txn for an appId the writer also commits conflicts (the txn
 *    version would no longer be the one the writer checked);
 *  - a winner that removes a path the writer read (`readPaths`: OPTIMIZE inputs, removed
 *    files) conflicts — except for a full overwrite, which is rebased instead: its removes of
 *    files the winners already removed are dropped, and every file the winners added is
 *    removed too, so the overwrite replaces exactly what is in the table when it commits.
 * Blind appends never conflict over files.
 *
 * Pure; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import { dvUniqueId, type Action, type AddFile, type MetadataAction, type ProtocolAction } from './actions.js'
import { checkWritable } from './protocol.js'
import { fileKey } from './replay-state.js'
import { parseSchemaString, toFields } from './schema.js'
import { compareSchemas } from './schema-evolution.js'
import { removeAction } from './write-actions.js'
import { percentDecode } from './paths.js'

export interface WinningCommit {
  version: number
  actions: Action[]
}

/** What a writer did and relies on (see write.ts WriteIntent). */
export interface ConflictIntent {
  readVersion: number
  readPaths: string[]
  blindAppend: boolean
  changesMetadata: boolean
  /** a full overwrite: rebased over winners instead of conflicting on removed files */
  overwrite: boolean
  /** appIds of the txn actions the writer commits */
  txnAppIds: string[]
}

/** The table as the writer read it: what its new files were written for. */
export interface BaseTable {
  protocol: ProtocolAction
  metadata: MetadataAction
  schema: Field[]
}

export const concurrentModification = (msg: string, details?: Record<string, unknown>) =>
  new SluiceError(409, 'concurrent_modification', msg, details)

function checkBlindAppendFits(base: BaseTable, protocol: ProtocolAction, metadata: MetadataAction, version: number): void {
  const what = `version ${version} changed the table's ${metadata === base.metadata ? 'protocol' : 'metadata'} while this append was written`
  if (metadata.id !== base.metadata.id) throw concurrentModification(`${what}: the table was replaced (new table id)`, { version })
  if (JSON.stringify(metadata.partitionColumns) !== JSON.stringify(base.metadata.partitionColumns)) {
    throw concurrentModification(`${what}: the partition columns changed`, { version })
  }
  const deltaSchema = parseSchemaString(metadata.schemaString)
  try {
    checkWritable(protocol, metadata, deltaSchema, { removesData: false })
  } catch (err) {
    if (err instanceof SluiceError) throw concurrentModification(`${what}: ${err.message}`, { version })
    throw err
  }
  const { fields, unsupported } = toFields(deltaSchema)
  if (unsupported.length > 0) {
    throw concurrentModification(`${what}: the new schema has columns Sluice cannot check (${unsupported.map((c) => c.name).join(', ')})`, { version })
  }
  const differences = compareSchemas(fields, base.schema)
  if (differences.length > 0) {
    throw concurrentModification(`${what}: the new data files no longer fit the schema: ${differences.map((d) => d.message).join('; ')}`, {
      version, differences,
    })
  }
}

const samePath = (p: string) => percentDecode(p)

/**
 * Checks the winners against the writer's intent and returns the actions to retry with
 * (the same array unless an overwrite was rebased). `base` is needed only when a winner
 * changes protocol or metaData under a blind append; `loadBase` is called for it then.
 * Throws `409 concurrent_modification` naming the conflicting version and what it did.
 */
export async function resolveConflicts(
  intent: ConflictIntent, actions: object[], winners: WinningCommit[], loadBase: () => Promise<BaseTable>, nowMs = Date.now(),
): Promise<object[]> {
  const readPaths = new Set(intent.readPaths.map(samePath))
  const txnIds = new Set(intent.txnAppIds)
  let base: BaseTable | null = null
  let protocol: ProtocolAction | null = null
  let metadata: MetadataAction | null = null
  // overwrite rebase: files the winners added (still active) and paths they removed
  const added = new Map<string, AddFile>()
  const removed = new Set<string>()

  for (const w of winners) {
    if (intent.changesMetadata) {
      throw concurrentModification(
        `version ${w.version} was committed after version ${intent.readVersion}, which this metadata change read; retry the operation`,
        { version: w.version },
      )
    }
    const p = w.actions.find((a) => a.kind === 'protocol')
    const m = w.actions.find((a) => a.kind === 'metaData')
    if (p || m) {
      if (!intent.blindAppend) {
        throw concurrentModification(`version ${w.version} changed the table's ${p ? 'protocol' : 'metadata'} concurrently; retry the operation`, { version: w.version })
      }
      base ??= await loadBase()
      protocol = p?.kind === 'protocol' ? p.protocol : protocol ?? base.protocol
      metadata = m?.kind === 'metaData' ? m.metaData : metadata ?? base.metadata
      checkBlindAppendFits(base, protocol, metadata, w.version)
    }
    for (const a of w.actions) {
      if (a.kind === 'txn' && txnIds.has(a.txn.appId)) {
        throw concurrentModification(`version ${w.version} committed a transaction for application "${a.txn.appId}" concurrently`, { version: w.version, appId: a.txn.appId })
      }
      if (a.kind === 'remove') {
        const k = fileKey(a.remove.path, dvUniqueId(a.remove.deletionVector))
        if (intent.overwrite) {
          if (!added.delete(k)) removed.add(k)
        } else if (!intent.blindAppend && readPaths.has(samePath(a.remove.path))) {
          throw concurrentModification(`version ${w.version} removed "${percentDecode(a.remove.path)}", which this operation read; retry the operation`, {
            version: w.version, path: a.remove.path,
          })
        }
      } else if (a.kind === 'add' && intent.overwrite) {
        const k = fileKey(a.add.path, dvUniqueId(a.add.deletionVector))
        removed.delete(k)
        added.set(k, a.add)
      }
    }
  }
  if (!intent.overwrite || (added.size === 0 && removed.size === 0)) return actions

  const out: object[] = []
  const ours = new Set<string>()
  for (const a of actions) {
    const r = (a as { remove?: { path: string; deletionVector?: Parameters<typeof dvUniqueId>[0] } }).remove
    if (r) {
      const k = fileKey(r.path, dvUniqueId(r.deletionVector))
      ours.add(k)
      if (removed.has(k)) continue // a winner removed it already
    }
    out.push(a)
  }
  for (const [k, add] of added) if (!ours.has(k)) out.push(removeAction(add, { dataChange: true, timestampMs: nowMs }))
  return out
}
