/**
 * Connector secrets at rest: AES-256-GCM. The key is SECRETS_KEY (32 bytes, validated in
 * src/config.ts) or, without it, `$DATA_DIR/secrets-key` (32 random bytes, base64, mode
 * 0600), created the first time a secret is sealed.
 *
 * A sealed blob is `version (1 byte) | iv (12) | tag (16) | ciphertext`; the org and the
 * connector id are the additional authenticated data, so a blob copied onto another
 * connector's row does not open there.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ServiceAccountKey } from '../../proto/bigquery.js'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16

export const secretsKeyPath = (dataDir: string) => path.join(dataDir, 'secrets-key')

/** The secrets of one connector (never logged, never returned). */
export interface ConnectorSecrets {
  /** PostgreSQL */
  password?: string
  /** BigQuery: the service-account JSON key */
  service_account?: ServiceAccountKey
}

export class SecretsUnreadableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SecretsUnreadableError'
  }
}

export class SecretBox {
  #key: Buffer | null

  /** `key`: SECRETS_KEY decoded, or null to use (and create on first seal) the key file. */
  constructor(key: Buffer | null, private readonly dataDir: string) {
    if (key && key.length !== 32) throw new Error('the secrets key must be 32 bytes')
    this.#key = key
  }

  /** Encrypts the secrets of connector (org, id). Main thread; may create the key file. */
  seal(org: string, id: string, secrets: ConnectorSecrets): Buffer {
    const key = this.#loadKey(true)!
    const iv = crypto.randomBytes(IV_BYTES)
    const cipher = crypto.createCipheriv('aes-256-gcm', key, iv)
    cipher.setAAD(aad(org, id))
    const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()])
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body])
  }

  /**
   * Decrypts a blob sealed for (org, id). Throws SecretsUnreadableError when the key is
   * missing or is not the one the blob was sealed with (SECRETS_KEY changed, key file lost).
   */
  open(org: string, id: string, blob: Buffer): ConnectorSecrets {
    const key = this.#loadKey(false)
    if (!key) throw new SecretsUnreadableError(`no secrets key: set SECRETS_KEY or restore ${secretsKeyPath(this.dataDir)}`)
    if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new SecretsUnreadableError('stored secrets are not in a known format')
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES))
      decipher.setAAD(aad(org, id))
      decipher.setAuthTag(blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES))
      const text = Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
      return JSON.parse(text) as ConnectorSecrets
    } catch (err) {
      throw new SecretsUnreadableError('stored secrets do not open with the current secrets key (was SECRETS_KEY or the key file changed?)', { cause: err })
    }
  }

  /**
   * A secret derived from the secrets key for `label` (HMAC-SHA256), e.g. the per-org salt
   * of the `hash` masking strategy. Stable as long as the key is; creates the key file if
   * needed. Main thread.
   */
  derive(label: string): Buffer {
    return crypto.createHmac('sha256', this.#loadKey(true)!).update(label, 'utf8').digest()
  }

  #loadKey(create: boolean): Buffer | null {
    if (this.#key) return this.#key
    const file = secretsKeyPath(this.dataDir)
    try {
      this.#key = decodeKeyFile(fs.readFileSync(file, 'utf8'), file)
      return this.#key
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (!create) return null
    fs.mkdirSync(this.dataDir, { recursive: true })
    const key = crypto.randomBytes(32)
    // Written whole under a temporary name, then link()ed: two servers starting at once on
    // one DATA_DIR agree on one key (link fails if the name exists), and neither can read a
    // half-written file.
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`
    fs.writeFileSync(tmp, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
    try {
      fs.linkSync(tmp, file)
      this.#key = key
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      this.#key = decodeKeyFile(fs.readFileSync(file, 'utf8'), file)
    } finally {
      fs.rmSync(tmp, { force: true })
    }
    return this.#key
  }
}

function decodeKeyFile(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64')
  if (key.length !== 32) throw new Error(`${file} does not hold a base64 key of 32 bytes`)
  return key
}

const aad = (org: string, id: string) => Buffer.from(JSON.stringify([org, id]), 'utf8')
