/**
 * With no JWT_SECRET and no JWKS file configured, the server signs its own tokens with a
 * secret kept under DATA_DIR (created on first start, mode 0600), so `npm start` works on a
 * fresh machine and `sluice token` can mint tokens for it.
 */
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'

export const secretPath = (dataDir: string) => path.join(dataDir, 'jwt-secret')

/** Returns the secret and whether it was created just now. */
export function loadOrCreateSecret(dataDir: string): { secret: string; created: boolean } {
  const file = secretPath(dataDir)
  try {
    return { secret: fs.readFileSync(file, 'utf8').trim(), created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  fs.mkdirSync(dataDir, { recursive: true })
  const secret = crypto.randomBytes(32).toString('base64url')
  try {
    // 'wx': two servers starting at once on one DATA_DIR must agree on one secret.
    fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' })
    return { secret, created: true }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { secret: fs.readFileSync(file, 'utf8').trim(), created: false }
  }
}
