/**
 * Cooperative cancellation of a pool task: one Int32 in shared memory that the main thread
 * sets (WorkerPool.run, when the caller's signal aborts) and the task reads between units of
 * work, ending itself with a `499 cancelled` failure after its own clean-up.
 *
 * Why not piscina's abort: it terminates the thread running the task, so piscina runs a task
 * it may abort alone on an idle thread (an upload then waits for every stream on a thread to
 * end); the terminated thread is replaced (modules and wasm loaded again, ~0.3 s), and the task
 * stops mid-write, leaving its files for the caller to find. A task that never looks at its
 * flag simply runs to its end.
 */
import { SluiceError } from './errors.js'

/** Set (non-zero) once the task is cancelled. Crosses threads as shared memory. */
export type CancelFlag = Int32Array

/** What a task message may carry: WorkerPool.run adds `cancel` when the caller passed a signal. */
export interface Cancellable { cancel?: CancelFlag }

export function newCancelFlag(): CancelFlag {
  return new Int32Array(new SharedArrayBuffer(4))
}

export function raiseCancelFlag(flag: CancelFlag): void {
  Atomics.store(flag, 0, 1)
}

export function isCancelled(flag: CancelFlag | undefined): boolean {
  return flag !== undefined && Atomics.load(flag, 0) !== 0
}

/** Throws `499 cancelled` once the flag is raised (call it between units of work). */
export function throwIfCancelled(flag: CancelFlag | undefined): void {
  if (isCancelled(flag)) throw new SluiceError(499, 'cancelled', 'the task was cancelled')
}
