#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ (npm run build).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const compiled = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url))
if (!existsSync(compiled)) {
  process.stderr.write('sluice: build first with `npm run build`\n')
  process.exit(1)
}
const { runCli } = await import(compiled)
process.exit(await runCli(process.argv.slice(2)))
