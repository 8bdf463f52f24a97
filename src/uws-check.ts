/**
 * uWebSockets.js silently falls back to a slow pure-JS server when its native binding does
 * not load (STACK.md). Sluice refuses to start on the fallback: it would serve, but far
 * below the speed users were promised.
 */
import uWS from 'uWebSockets.js'

export function assertNativeUws(): void {
  const forced = process.env.SLUICE_TEST_FORCE_UWS_FALLBACK === '1' // lets a test see the refusal
  if (forced || typeof (uWS as { getParts?: unknown }).getParts !== 'function') {
    throw new Error('uWebSockets.js loaded its pure-JS fallback instead of the native binding '
      + `(platform ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}). `
      + 'Sluice needs the native binding: reinstall dependencies on a supported platform (npm ci).')
  }
}
