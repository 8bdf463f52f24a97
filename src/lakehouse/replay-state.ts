/**
 * The reconciled state of a table while its log is replayed (PROTOCOL.md "Action
 * Reconciliation"): newest action wins per logical file `(path, deletionVector id)`, latest
 * protocol and metaData win, latest txn per appId wins, domainMetadata tombstones suppress
 * their domain. commitInfo, cdc, checkpointMetadata and sidecar are not part of the state.
 *
 * Pure; runs on any thread.
 */
import {
  dvUniqueId, type Action, type DomainMetadataAction, type MetadataAction, type ProtocolAction,
  type RemoveFile, type TxnAction,
} from './actions.js'
import { percentDecode, resolveDataPath } from './paths.js'
import type { ActiveFile } from './replay.js'

/** The identity of a logical file: its path decoded once, and its DV id. */
export const fileKey = (p: string, dv: string | null) => `${percentDecode(p)}\u0000${dv ?? ''}`

export class ReplayState {
  protocol: ProtocolAction | null = null
  metadata: MetadataAction | null = null
  files = new Map<string, ActiveFile>()
  tombstones = new Map<string, RemoveFile>()
  txns = new Map<string, TxnAction>()
  domains = new Map<string, DomainMetadataAction>()

  /** @param root the absolute table directory, against which add paths resolve */
  constructor(readonly root: string) {}

  /** A copy that can be advanced without touching this state (the action objects are shared, frozen). */
  clone(): ReplayState {
    const c = new ReplayState(this.root)
    c.protocol = this.protocol
    c.metadata = this.metadata
    c.files = new Map(this.files)
    c.tombstones = new Map(this.tombstones)
    c.txns = new Map(this.txns)
    c.domains = new Map(this.domains)
    return c
  }

  /**
   * Applies one commit's (or checkpoint's) actions. Throws `422 unsupported_table` for an add
   * whose file is not on local storage inside the table directory.
   */
  apply(actions: Action[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'protocol': this.protocol = a.protocol; break
        case 'metaData': this.metadata = a.metaData; break
        case 'add': {
          const k = fileKey(a.add.path, dvUniqueId(a.add.deletionVector))
          // a re-add replaces stats etc. and keeps its place
          this.files.set(k, Object.freeze({ ...a.add, absolutePath: resolveDataPath(this.root, a.add.path) }))
          this.tombstones.delete(k)
          break
        }
        case 'remove': {
          const k = fileKey(a.remove.path, dvUniqueId(a.remove.deletionVector))
          this.files.delete(k)
          this.tombstones.set(k, Object.freeze(a.remove))
          break
        }
        case 'txn': this.txns.set(a.txn.appId, a.txn); break
        case 'domainMetadata':
          if (a.domainMetadata.removed) this.domains.delete(a.domainMetadata.domain)
          else this.domains.set(a.domainMetadata.domain, a.domainMetadata)
          break
        default: break
      }
    }
  }
}
