/** Who is calling (the type lives in proto/ so every layer can name it) and role checks. */
import type { Principal } from '../../proto/principal.js'

export type { Principal }

export const isAdmin = (p: Principal) => p.roles.includes('admin')
export const isEditor = (p: Principal) => p.roles.includes('editor') || isAdmin(p)
