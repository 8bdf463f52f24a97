/**
 * uWebSockets.js silently falls back to a slow pure-JS server when its native binding does
 * not load (or when UWS_USE_FALLBACK is set). Sluice refuses to start on the fallback: it
 * would serve, but far below the speed users were promised. The fallback lacks `getParts`,
 * which every native build exports.
 */
import uWS from 'uWebSockets.js'

export function assertNativeUws(): void {
  if (typeof (uWS as { getParts?: unknown }).getParts !== 'function') {
    throw new Error('uWebSockets.js loaded its pure-JS fallback instead of the native binding '
      + `(platform ${process.platform}-${process.arch}, Node ABI ${process.versions.modules}`
      + `${process.env.UWS_USE_FALLBACK ? ', UWS_USE_FALLBACK is set' : ''}). `
      + 'Sluice needs the native binding: unset UWS_USE_FALLBACK, or reinstall dependencies on a supported platform (npm ci).')
  }
}
