/**
 * Bearer token verification (jose). HS256 with a shared secret, or RS256/ES256/EdDSA with
 * a public JWKS file — never both, so an HS token signed with a public key as the "secret"
 * cannot pass (algorithm confusion). `alg: none` is never accepted.
 *
 * Runs on the main thread; results are cached (token-cache.ts).
 */
import fs from 'node:fs'
import * as jose from 'jose'
import { unauthorized } from '../../proto/errors.js'
import type { Principal } from './principal.js'
import { TokenCache } from './token-cache.js'

export interface AuthOptions {
  secret: string | null
  jwksFile: string | null
  issuer: string | null
  audience: string | null
}

const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA']

export class TokenVerifier {
  readonly #cache = new TokenCache()
  readonly #verify: (token: string) => Promise<jose.JWTVerifyResult>

  constructor(opts: AuthOptions) {
    const claims: jose.JWTVerifyOptions = {}
    if (opts.issuer) claims.issuer = opts.issuer
    if (opts.audience) claims.audience = opts.audience
    if (opts.jwksFile) {
      const jwks = jose.createLocalJWKSet(JSON.parse(fs.readFileSync(opts.jwksFile, 'utf8')))
      this.#verify = (t) => jose.jwtVerify(t, jwks, { ...claims, algorithms: ASYMMETRIC })
    } else if (opts.secret) {
      const key = new TextEncoder().encode(opts.secret)
      this.#verify = (t) => jose.jwtVerify(t, key, { ...claims, algorithms: ['HS256'] })
    } else {
      throw new Error('no JWT secret or JWKS file configured')
    }
  }

  /**
   * The caller of an already verified, unexpired token, without a Promise (the small-request
   * fast path); undefined when `verifyHeader` must decide (unknown token, bad header).
   */
  cachedPrincipal(header: string | undefined): Principal | undefined {
    return header ? this.#cache.get(header) : undefined
  }

  /** Resolves the caller or throws 401 `unauthorized`. */
  async verifyHeader(header: string | undefined): Promise<Principal> {
    if (!header) throw unauthorized('missing Authorization header')
    const token = tokenOf(header)
    if (token === null) throw unauthorized('Authorization must be "Bearer <JWT>"')
    const cached = this.#cache.get(header)
    if (cached) return cached
    let result: jose.JWTVerifyResult
    try {
      result = await this.#verify(token)
    } catch (err) {
      throw unauthorized(describeJoseError(err))
    }
    const principal = toPrincipal(result.payload)
    // Keyed by the header as sent (it names exactly one token): a lookup needs no parsing.
    this.#cache.set(header, principal, result.payload.exp)
    return principal
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*)$/

/** The JWT of a well-formed `Bearer <JWT>` header, else null. */
function tokenOf(header: string | undefined): string | null {
  if (!header) return null
  const m = BEARER.exec(header.trim())
  return m ? m[1] : null
}

function describeJoseError(err: unknown): string {
  const code = (err as { code?: string }).code
  switch (code) {
    case 'ERR_JWT_EXPIRED': return 'token expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return `token claim check failed: ${(err as { claim?: string }).claim ?? 'claim'}`
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'token signature invalid'
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return 'token algorithm not allowed'
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'no key matches the token'
    default: return 'invalid token'
  }
}

function stringArray(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null
}

function toPrincipal(payload: jose.JWTPayload): Principal {
  const { sub, org } = payload as { sub?: unknown; org?: unknown }
  if (typeof sub !== 'string' || sub === '') throw unauthorized('token has no "sub" claim')
  if (typeof org !== 'string' || org === '') throw unauthorized('token has no "org" claim')
  const roles = payload.roles === undefined ? [] : stringArray(payload.roles)
  if (!roles) throw unauthorized('"roles" claim must be an array of strings')
  const groups = payload.groups === undefined ? [] : stringArray(payload.groups)
  if (!groups) throw unauthorized('"groups" claim must be an array of strings')
  return { sub, org, roles, groups }
}

/** Mints an HS256 token (the CLI and tests use this). */
export async function mintToken(
  secret: string,
  claims: { sub: string; org: string; roles: string[]; groups?: string[] },
  ttlSeconds = 24 * 3600,
  opts: { issuer?: string | null; audience?: string | null } = {},
): Promise<string> {
  const jwt = new jose.SignJWT({ org: claims.org, roles: claims.roles, ...(claims.groups ? { groups: claims.groups } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
  if (opts.issuer) jwt.setIssuer(opts.issuer)
  if (opts.audience) jwt.setAudience(opts.audience)
  return jwt.sign(new TextEncoder().encode(secret))
}
