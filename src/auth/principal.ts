/** Who is calling: the verified claims of a bearer token. */
export interface Principal {
  sub: string
  org: string
  roles: string[]
  groups: string[]
}

export const isAdmin = (p: Principal) => p.roles.includes('admin')
export const isEditor = (p: Principal) => p.roles.includes('editor') || isAdmin(p)
