/** Who is calling: the verified claims of a bearer token (src/auth builds it). */
export interface Principal {
  sub: string
  org: string
  roles: string[]
  groups: string[]
}
