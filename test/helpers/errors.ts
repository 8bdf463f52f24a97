import { SluiceError } from '../../proto/errors.js'

/** Awaits `p` and returns the SluiceError it rejects with; fails on success or another error. */
export async function rejects(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p
  } catch (err) {
    if (err instanceof SluiceError) return err
    throw err
  }
  throw new Error('expected a SluiceError, got success')
}
