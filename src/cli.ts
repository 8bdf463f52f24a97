/**
 * `sluice token --org ORG --sub USER --roles admin,editor [--groups g1,g2] [--ttl SECONDS]`
 * mints an HS256 token for the server's secret: JWT_SECRET, else the one under DATA_DIR.
 */
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from './config.js'
import { secretPath } from './auth/secret.js'
import { mintToken } from './auth/verify.js'

const USAGE = 'usage: sluice token --org ORG --sub USER [--roles admin,editor] [--groups a,b] [--ttl SECONDS]'

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command !== 'token') {
    process.stderr.write(USAGE + '\n')
    return 2
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      org: { type: 'string' }, sub: { type: 'string' }, roles: { type: 'string', default: '' },
      groups: { type: 'string' }, ttl: { type: 'string', default: String(24 * 3600) },
    },
  })
  if (!values.org || !values.sub || !/^\d+$/.test(values.ttl!)) {
    process.stderr.write(USAGE + '\n')
    return 2
  }
  const config = loadConfig()
  let secret = config.jwtSecret
  if (!secret) {
    try {
      secret = fs.readFileSync(secretPath(config.dataDir), 'utf8').trim()
    } catch {
      process.stderr.write(`no JWT_SECRET set and no secret at ${secretPath(config.dataDir)}: start the server once first, or set DATA_DIR\n`)
      return 1
    }
  }
  const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : [])
  const token = await mintToken(secret, {
    sub: values.sub, org: values.org, roles: list(values.roles),
    ...(values.groups ? { groups: list(values.groups) } : {}),
  }, Number(values.ttl), { issuer: config.jwtIssuer, audience: config.jwtAudience })
  process.stdout.write(token + '\n')
  return 0
}
