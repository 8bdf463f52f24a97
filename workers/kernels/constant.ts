/** A column holding one value (or null) in every row: partition columns of a Delta file. */
import type { Column } from '../../proto/batch.js'
import type { Literal } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'

export function constantColumn(field: Field, value: Literal | null, length: number): Column {
  const nulls = value === null ? new Uint8Array(length).fill(1) : null
  const col = (values: Column['values']): Column => ({ name: field.name, type: field.type, values, nulls, precision: field.precision, scale: field.scale })
  switch (field.type) {
    case 'string': case 'json': case 'decimal':
      return col(new Array<string>(length).fill(value === null ? '' : String(value)))
    case 'int16': case 'int32': case 'date':
      return col(new Int32Array(length).fill(value === null ? 0 : Number(value)))
    case 'int64': case 'timestamp': case 'time':
      return col(new BigInt64Array(length).fill(value === null ? 0n : BigInt(value as bigint | number)))
    case 'float32': case 'float64':
      return col(new Float64Array(length).fill(value === null ? 0 : Number(value)))
    case 'boolean':
      return col(new Uint8Array(length).fill(value === true ? 1 : 0))
    case 'binary':
      return col(new Array<Uint8Array>(length).fill(new Uint8Array(0)))
  }
}
