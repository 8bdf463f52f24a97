/**
 * What reading a checkpoint yields, and its error, without parquet-wasm: the serving thread
 * imports these while the Parquet reading itself (checkpoint-read.ts) runs in a worker.
 */
import { SluiceError } from '../../proto/errors.js'
import type { Action } from './actions.js'
import type { CheckpointSet } from './log-files.js'

export interface CheckpointContents {
  version: number
  /** one action per non-empty row, in file order */
  actions: Action[]
  /** rows in the parquet footers of all parts */
  rowCount: number
}

/** A checkpoint that cannot be read (damaged, partially written, unknown layout). */
export class CheckpointReadError extends SluiceError {
  constructor(readonly version: number, cause: unknown) {
    super(422, 'unsupported_table', `checkpoint ${version} cannot be read`, undefined, { cause })
  }
}

export type CheckpointReader = (set: CheckpointSet) => Promise<CheckpointContents>

/** In-thread by default (tests, tools); the server routes reads to a worker at start-up. */
let reader: CheckpointReader = async (set) => (await import('./checkpoint-read.js')).readCheckpoint(set)

/**
 * Routes checkpoint reads (Parquet decoding) elsewhere, e.g. to a worker. The function must
 * throw CheckpointReadError for a checkpoint that cannot be read, so replay can fall back.
 */
export function configureCheckpointReader(fn: CheckpointReader): void {
  reader = fn
}

export function readCheckpointActions(set: CheckpointSet): Promise<CheckpointContents> {
  return reader(set)
}
