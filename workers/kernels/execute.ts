/**
 * Plan execution over a stream of Batches: filter -> (aggregate | project) -> order ->
 * offset/limit -> output batches of at most `batchRows` rows, named and typed as
 * plan.select. Unordered, non-aggregate plans stream and stop pulling the source once
 * offset+limit rows are out (the source's return() runs, so files close). Pure apart from
 * pulling `source`; runs in worker threads.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { Plan, SelectItem } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'
import { Aggregator } from './aggregate.js'
import { castColumn } from './cast.js'
import { concatBatches, renamed, sliceBatch } from './column.js'
import { TRUE, evaluateFilter, filterBatch } from './filter.js'
import { truncColumn } from './scalar.js'
import { TopK, sortBatch, sortKeysFor } from './sort.js'

export interface ExecuteOptions {
  /** maximum rows per output batch */
  batchRows: number
}

/**
 * Run `plan` over `source` (batches whose columns are `inputFields`, by name). Yields
 * output batches; never yields an empty batch. Throws what the kernels throw (SluiceError
 * 422 for an int64 sum overflow, TypeError for a plan that does not fit the input).
 */
export async function* executePlan(plan: Plan, inputFields: Field[], source: AsyncIterable<Batch>, opts: ExecuteOptions): AsyncGenerator<Batch> {
  const batchRows = Math.max(1, Math.floor(opts.batchRows))
  const offset = Math.max(0, plan.offset ?? 0)
  const end = plan.limit === null ? Infinity : offset + plan.limit
  if (plan.limit !== null && plan.limit <= 0) return
  const filtered = (b: Batch) => (plan.filter ? filterBatch(b, plan.filter) : b)

  if (plan.aggregate) {
    const agg = new Aggregator(plan, inputFields)
    await aggregateInto(agg, plan, source)
    yield* aggregateOutput(agg, plan, opts)
    return
  }

  if (plan.order.length === 0) {
    let skip = offset
    let remaining = end - offset
    for await (const b of source) {
      let f = filtered(b)
      if (skip > 0) {
        if (f.length <= skip) { skip -= f.length; continue }
        f = sliceBatch(f, skip, f.length)
        skip = 0
      }
      if (f.length > remaining) f = sliceBatch(f, 0, remaining)
      remaining -= f.length
      yield* chunks(project(plan.select, f), batchRows)
      // leaving the loop calls the source's return(): readers close their files
      if (remaining <= 0) break
    }
    return
  }

  // Ordered: keep only the output columns plus source columns used just for ordering.
  const hidden = [...new Set(plan.order.filter((o) => o.output === null && o.column !== null).map((o) => o.column!))]
  const selectCount = plan.select.length
  const keysFor = (b: Batch) => sortKeysFor(plan.order, b, selectCount)
  const shaped = (b: Batch): Batch => {
    const p = project(plan.select, b)
    if (hidden.length === 0) return p
    return { length: p.length, columns: [...p.columns, ...hidden.map((name) => columnOf(b, name))] }
  }
  let sorted: Batch
  if (Number.isFinite(end)) {
    const top = new TopK(keysFor, end)
    for await (const b of source) { const f = filtered(b); if (f.length > 0) top.add(shaped(f)) }
    sorted = top.result({ length: 0, columns: [] })
  } else {
    const parts: Batch[] = []
    for await (const b of source) { const f = filtered(b); if (f.length > 0) parts.push(shaped(f)) }
    const all = concatBatches(parts)
    sorted = all.length === 0 ? all : sortBatch(all, keysFor(all))
  }
  if (sorted.length === 0) return
  const page = sliceBatch(sorted, offset, end)
  yield* chunks({ length: page.length, columns: page.columns.slice(0, selectCount) }, batchRows)
}

/**
 * Fold `source` (filtered by the plan) into `agg`; stops early when `stop()` turns true.
 * The filter becomes a selection of row indices: batches are not copied.
 */
export async function aggregateInto(agg: Aggregator, plan: Plan, source: AsyncIterable<Batch>, stop: () => boolean = () => false): Promise<void> {
  for await (const b of source) {
    if (stop()) return
    if (!plan.filter) { agg.add(b); continue }
    const truth = evaluateFilter(b, plan.filter)
    const n = b.length
    const sel = new Int32Array(n)
    let k = 0
    for (let i = 0; i < n; i++) if (truth[i] === TRUE) sel[k++] = i
    if (k === n) agg.add(b)
    else if (k > 0) agg.add(b, sel, k)
  }
}

/** The output of an aggregate plan from its (complete) aggregator: order, offset/limit, batches. */
export function* aggregateOutput(agg: Aggregator, plan: Plan, opts: ExecuteOptions): Generator<Batch> {
  const batchRows = Math.max(1, Math.floor(opts.batchRows))
  const offset = Math.max(0, plan.offset ?? 0)
  const end = plan.limit === null ? Infinity : offset + plan.limit
  if (plan.limit !== null && plan.limit <= 0) return
  let out = agg.result()
  if (plan.order.length > 0) out = sortBatch(out, sortKeysFor(plan.order, out, plan.select.length), Number.isFinite(end) ? end : undefined)
  yield* chunks(sliceBatch(out, offset, end), batchRows)
}

function columnOf(b: Batch, name: string): Column {
  const c = b.columns.find((x) => x.name === name)
  if (!c) throw new TypeError(`input batch has no column "${name}"`)
  return c
}

/** Output columns of a non-aggregate plan: source columns or UTC truncs, renamed and typed. */
export function project(select: SelectItem[], b: Batch): Batch {
  const columns = select.map((item) => {
    const e = item.expr
    if (e.kind === 'agg') throw new TypeError(`aggregate "${item.name}" in a non-aggregate plan`)
    const src = columnOf(b, e.column)
    const col = e.kind === 'trunc' ? truncColumn(src, e.unit) : src
    if (col.type === item.type && (item.type !== 'decimal' || (col.scale ?? 0) === (item.scale ?? col.scale ?? 0))) return renamed(col, item.name)
    return castColumn(col, { name: item.name, type: item.type, nullable: true, precision: item.precision, scale: item.scale })
  })
  return { length: b.length, columns }
}

function* chunks(b: Batch, rows: number): Generator<Batch> {
  for (let start = 0; start < b.length; start += rows) yield sliceBatch(b, start, start + rows)
}
