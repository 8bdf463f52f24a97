// Column classification against a labelled set of generated columns: per-type and overall
// precision/recall for the sensitive types (confidential or restricted), and every look-alike unflagged.
import t from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { TaskResult } from '../proto/errors.js'
import { isSensitive, SENSITIVITY_OF, type ColumnClassification, type SemanticType } from '../proto/classification.js'
import classify from '../workers/classify.js'
import { classifyColumn } from '../workers/kernels/classify/detect.js'
import { labelledColumns, TODAY_DAYS, toBatch } from './helpers/classify-data.js'

const columns = labelledColumns()
const predicted: ColumnClassification[] = columns.map((c) => classifyColumn(c.field, toBatch(c).columns[0], c.values.length, TODAY_DAYS))

const pct = (x: number) => (Number.isNaN(x) ? '  n/a' : `${(x * 100).toFixed(1).padStart(5)}%`)

t.test('the labelled set is large enough and covers every sensitive type', async (t) => {
  t.ok(columns.length >= 60, `${columns.length} columns`)
  const sensitive = (Object.keys(SENSITIVITY_OF) as SemanticType[]).filter((s) => isSensitive(SENSITIVITY_OF[s]))
  for (const s of sensitive) t.ok(columns.some((c) => c.label === s), `has ${s}`)
  t.ok(columns.filter((c) => c.lookalike).length >= 15, 'has look-alikes')
})

t.test('precision and recall per sensitive type', async (t) => {
  const sensitiveTypes = (Object.keys(SENSITIVITY_OF) as SemanticType[]).filter((s) => isSensitive(SENSITIVITY_OF[s]))
  const lines = ['type              tp  fp  fn  precision  recall']
  for (const s of sensitiveTypes) {
    let tp = 0, fp = 0, fn = 0
    columns.forEach((c, i) => {
      const p = predicted[i]!.semantic_type
      if (p === s && c.label === s) tp++
      else if (p === s) fp++
      else if (c.label === s) fn++
    })
    lines.push(`${s.padEnd(16)} ${String(tp).padStart(3)} ${String(fp).padStart(3)} ${String(fn).padStart(3)}  ${pct(tp / (tp + fp))}    ${pct(tp / (tp + fn))}`)
  }
  // overall: is the column flagged sensitive at all (binary), and is it flagged with the right type
  let tp = 0, fp = 0, fn = 0, exact = 0, labelled = 0
  columns.forEach((c, i) => {
    const truth = isSensitive(SENSITIVITY_OF[c.label]); const flag = isSensitive(predicted[i]!.sensitivity)
    if (truth && flag) tp++; else if (flag) fp++; else if (truth) fn++
    if (truth) { labelled++; if (predicted[i]!.semantic_type === c.label) exact++ }
  })
  const precision = tp / (tp + fp); const recall = tp / (tp + fn)
  lines.push(`${'SENSITIVE (any)'.padEnd(16)} ${String(tp).padStart(3)} ${String(fp).padStart(3)} ${String(fn).padStart(3)}  ${pct(precision)}    ${pct(recall)}`)
  lines.push(`exact type on sensitive columns: ${exact}/${labelled}`)
  t.comment('\n' + lines.join('\n'))
  const wrong = columns.flatMap((c, i) => (predicted[i]!.semantic_type === c.label ? [] : [`${c.field.name} (${c.field.type}): labelled ${c.label}, got ${predicted[i]!.semantic_type} @${predicted[i]!.confidence}`]))
  if (wrong.length) t.comment('misclassified (any type):\n' + wrong.join('\n'))
  t.ok(precision >= 0.9, `overall precision ${pct(precision)} ≥ 90%`)
  t.ok(recall >= 0.9, `overall recall ${pct(recall)} ≥ 90%`)
  t.ok(exact / labelled >= 0.9, 'exact sensitive type ≥ 90%')
})

t.test('no look-alike is flagged sensitive', async (t) => {
  columns.forEach((c, i) => {
    if (!c.lookalike) return
    const p = predicted[i]!
    t.notOk(isSensitive(p.sensitivity), `${c.field.name} (${c.lookalike}) → ${p.semantic_type}`)
  })
})

t.test('results are well-formed', async (t) => {
  for (const p of predicted) {
    t.ok(p.confidence >= 0 && p.confidence <= 1, `${p.name} confidence ${p.confidence}`)
    t.equal(p.sensitivity, SENSITIVITY_OF[p.semantic_type])
    t.equal(p.source, 'auto')
  }
})

t.test('the task module classifies a multi-column sample and returns data', async (t) => {
  const some = columns.slice(0, 10)
  const batch = { length: some[0]!.values.length, columns: some.map((c) => toBatch(c).columns[0]!) }
  const res = await classify({ kind: 'classify', fields: some.map((c) => c.field), sample: batch })
  t.ok(res.ok)
  if (res.ok) t.same(res.value.map((v) => v.name), some.map((c) => c.field.name))
  const missing = await classify({ kind: 'classify', fields: [{ name: 'ghost', type: 'string', nullable: true }], sample: { length: 0, columns: [] } })
  t.ok(missing.ok, 'a field missing from the sample still classifies (low confidence)')
  const bad = await classify({ kind: 'nope' } as never)
  t.same(bad.ok ? null : bad.code, 'bad_request')
})

const WORKER = path.join(process.env.SLUICE_DIST ? path.resolve(process.env.SLUICE_DIST) : path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'dist'), 'workers', 'classify.js')

t.test('on a real piscina pool: the sample crosses the thread boundary intact', { skip: fs.existsSync(WORKER) ? false : 'run `npm run build` first' }, async (t) => {
  const pool = new Piscina({ filename: WORKER, maxThreads: 1 })
  t.teardown(() => pool.close({ force: true }))
  // one task per column: the set holds two columns called "name"
  const results = (await Promise.all(columns.map((c) => pool.run({ kind: 'classify', fields: [c.field], sample: toBatch(c) })))) as TaskResult<ColumnClassification[]>[]
  const res = results.every((r) => r.ok) ? { ok: true as const, value: results.flatMap((r) => (r.ok ? r.value : [])) } : results.find((r) => !r.ok)!
  t.ok(res.ok)
  // pool results carry no todayDays override, so compare only types whose result does not depend on the date
  if (res.ok) t.same(res.value.map((p) => p.semantic_type).filter((_, i) => columns[i]!.label !== 'date_of_birth'),
    predicted.map((p) => p.semantic_type).filter((_, i) => columns[i]!.label !== 'date_of_birth'))
})
