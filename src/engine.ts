/** How Sluice names itself in Delta commitInfo.engineInfo (other engines show it in history). */
export const ENGINE_INFO = 'Sluice/0.1.0'
