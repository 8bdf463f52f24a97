/**
 * Hash aggregation of a Plan: group keys are the plan's scalar expressions (a column or a
 * UTC trunc of one; nulls form their own group), aggregates are accumulators (see
 * accumulators.ts). State is plain data, so partial aggregates from several workers can be
 * merged (`state()` / `merge()`). Pure; runs in worker threads.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { AggExpr, Plan, ScalarExpr } from '../../proto/plan.js'
import type { Field, LogicalType } from '../../proto/types.js'
import { Accumulator, distinctKey, type AccState } from './accumulators.js'
import { castColumn } from './cast.js'
import { buildColumn, type Cell } from './column.js'
import { truncColumn } from './scalar.js'
import { formatBinary } from './text.js'
import { dictionaryOf } from './dictionary.js'

/** Plain-data state of an Aggregator (structured-cloneable, for merging across workers). */
export interface AggregatorState {
  /** key values per group key, per group */
  keys: Cell[][]
  accs: AccState[]
}

type GroupKey = string | number | bigint

const NULL_PART = '~'

function sameScalar(a: ScalarExpr, b: ScalarExpr): boolean {
  return a.kind === b.kind && a.column === b.column && (a.kind !== 'trunc' || a.unit === (b as typeof a).unit)
}

export class Aggregator {
  readonly #keyTypes: LogicalType[]
  readonly #keyFields: Field[]
  readonly #accs: Accumulator[]
  /** per select item: ['key', k] or ['acc', a] */
  readonly #outputs: Array<['key' | 'acc', number]>
  readonly #keys: Cell[][]
  readonly #index = new Map<GroupKey, number>()
  #nullGroup = -1
  #groups = 0

  /**
   * `inputFields` are the fields of the batches passed to add(). Throws TypeError for a plan
   * whose scalar select items are not group keys or whose columns are not input fields, and
   * SluiceError 422 for sum/avg of a non-numeric column.
   */
  constructor(readonly plan: Plan, inputFields: Field[]) {
    const field = (name: string): Field => {
      const f = inputFields.find((x) => x.name === name)
      if (!f) throw new TypeError(`aggregate input has no column "${name}"`)
      return f
    }
    this.#keyFields = plan.group.map((g) => field(g.column))
    this.#keyTypes = this.#keyFields.map((f) => f.type)
    this.#keys = plan.group.map(() => [])
    this.#accs = []
    this.#outputs = plan.select.map((item) => {
      if (item.expr.kind === 'agg') {
        const e: AggExpr = item.expr
        const f = e.column === null ? null : field(e.column)
        this.#accs.push(new Accumulator(e, f?.type ?? null, f?.scale, item))
        return ['acc', this.#accs.length - 1]
      }
      const k = plan.group.findIndex((g) => sameScalar(g, item.expr as ScalarExpr))
      if (k < 0) throw new TypeError(`select item "${item.name}" is neither an aggregate nor a group key`)
      return ['key', k]
    })
    // no GROUP BY: exactly one group, even without rows (count 0, others null)
    if (plan.group.length === 0) this.#newGroup([])
  }

  get groupCount(): number { return this.#groups }

  #newGroup(cells: Cell[]): number {
    const g = this.#groups++
    for (let k = 0; k < cells.length; k++) this.#keys[k]!.push(cells[k]!)
    for (const a of this.#accs) a.grow()
    return g
  }

  #keyColumns(batch: Batch): Column[] {
    return this.plan.group.map((g) => {
      const col = batch.columns.find((c) => c.name === g.column)
      if (!col) throw new TypeError(`aggregate input batch has no column "${g.column}"`)
      return g.kind === 'trunc' ? truncColumn(col, g.unit) : col
    })
  }

  /** Group index of every selected row of `batch` (by position in the selection), creating groups as needed. */
  #assignGroups(batch: Batch, sel: Int32Array | null, len: number): Int32Array {
    const gid = new Int32Array(len)
    const keyCols = this.#keyColumns(batch)
    if (keyCols.length === 0) return gid
    const index = this.#index
    if (keyCols.length === 1) {
      const col = keyCols[0]!
      const nulls = col.nulls
      const v = col.values
      const dict = dictionaryOf(col)
      if (dict) {
        // one hash lookup per distinct value, then an array lookup per row
        const codes = dict.codes
        const map = new Int32Array(dict.values.length).fill(-1)
        for (let j = 0; j < len; j++) {
          const i = sel === null ? j : sel[j]!
          if (nulls?.[i]) {
            if (this.#nullGroup < 0) this.#nullGroup = this.#newGroup([null])
            gid[j] = this.#nullGroup
            continue
          }
          const c = codes[i]!
          let g = map[c]!
          if (g < 0) {
            const key = dict.values[c]!
            const found = index.get(key)
            if (found === undefined) { g = this.#newGroup([key]); index.set(key, g) } else g = found
            map[c] = g
          }
          gid[j] = g
        }
        return gid
      }
      const binary = col.type === 'binary'
      for (let j = 0; j < len; j++) {
        const i = sel === null ? j : sel[j]!
        if (nulls?.[i]) {
          if (this.#nullGroup < 0) this.#nullGroup = this.#newGroup([null])
          gid[j] = this.#nullGroup
          continue
        }
        const key = binary ? formatBinary((v as Uint8Array[])[i]!) : (v[i] as GroupKey)
        let g = index.get(key)
        if (g === undefined) { g = this.#newGroup([v[i] as Cell]); index.set(key, g) }
        gid[j] = g
      }
      return gid
    }
    const parts = new Array<string>(keyCols.length)
    const cells = new Array<Cell>(keyCols.length)
    for (let j = 0; j < len; j++) {
      const i = sel === null ? j : sel[j]!
      for (let k = 0; k < keyCols.length; k++) {
        const c = keyCols[k]!
        parts[k] = c.nulls?.[i] ? NULL_PART : keyPart(distinctKey(c.values, i, c.type))
      }
      const key = parts.join('|')
      let g = index.get(key)
      if (g === undefined) {
        for (let k = 0; k < keyCols.length; k++) cells[k] = keyCols[k]!.nulls?.[i] ? null : (keyCols[k]!.values[i] as Cell)
        g = this.#newGroup(cells)
        index.set(key, g)
      }
      gid[j] = g
    }
    return gid
  }

  /**
   * Fold a batch (columns named as the input fields) into the groups: every row, or only the
   * `len` rows whose indices are `sel[0..len)`.
   */
  add(batch: Batch, sel: Int32Array | null = null, len = batch.length): void {
    if (sel === null) len = batch.length
    if (batch.length === 0 || len === 0) return
    const gid = this.#assignGroups(batch, sel, len)
    for (const a of this.#accs) {
      const col = a.expr.column === null ? null : batch.columns.find((c) => c.name === a.expr.column) ?? null
      if (a.expr.column !== null && !col) throw new TypeError(`aggregate input batch has no column "${a.expr.column}"`)
      a.add(col, gid, len, sel)
    }
  }

  /** Plain-data snapshot of the state (shares arrays with this aggregator). */
  state(): AggregatorState {
    return { keys: this.#keys, accs: this.#accs.map((a) => a.s) }
  }

  /** Fold another aggregator (or its state) of the same plan into this one. */
  merge(other: Aggregator | AggregatorState): void {
    const st = other instanceof Aggregator ? other.state() : other
    const groups = st.accs[0]?.n.length ?? st.keys[0]?.length ?? 0
    for (let g = 0; g < groups; g++) {
      const cells = st.keys.map((k) => k[g]!)
      const to = this.#findOrCreate(cells)
      this.#accs.forEach((a, i) => a.mergeGroup(st.accs[i]!, g, to))
    }
  }

  #findOrCreate(cells: Cell[]): number {
    if (cells.length === 0) return 0
    if (cells.length === 1) {
      const c = cells[0]!
      if (c === null) {
        if (this.#nullGroup < 0) this.#nullGroup = this.#newGroup([null])
        return this.#nullGroup
      }
      const key = c instanceof Uint8Array ? formatBinary(c) : c
      let g = this.#index.get(key)
      if (g === undefined) { g = this.#newGroup(cells); this.#index.set(key, g) }
      return g
    }
    const key = cells.map((c) => (c === null ? NULL_PART : keyPart(c instanceof Uint8Array ? formatBinary(c) : c))).join('|')
    let g = this.#index.get(key)
    if (g === undefined) { g = this.#newGroup(cells); this.#index.set(key, g) }
    return g
  }

  /**
   * One row per group, columns as plan.select (named by `name`, typed by `type`). Throws
   * SluiceError 422 `invalid_query` when an integer sum does not fit int64.
   */
  result(): Batch {
    const groups = this.#groups
    const columns = this.plan.select.map((item, i) => {
      const [kind, k] = this.#outputs[i]!
      if (kind === 'acc') return this.#accs[k]!.output(groups)
      const f = this.#keyFields[k]!
      const col = buildColumn(item.name, this.#keyTypes[k]!, this.#keys[k]!.slice(0, groups), f.precision, f.scale)
      return col.type === item.type ? col : castColumn(col, { name: item.name, type: item.type, nullable: true, precision: item.precision, scale: item.scale })
    })
    return { length: groups, columns }
  }
}

/** One unambiguous part of a composite group key. */
function keyPart(v: string | number | bigint): string {
  if (typeof v === 'string') return v.length + ':' + v
  return typeof v === 'bigint' ? v + 'n' : String(v)
}
