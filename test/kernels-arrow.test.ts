import t from 'tap'
import {
  Bool, DateMillisecond, Decimal, Dictionary, Field as AField, Float16, Int32, Int8, LargeUtf8, Schema, Table, TimeMillisecond,
  TimeNanosecond, TimestampNanosecond, TimestampSecond, Uint16, Uint32, Uint8, Utf8, makeData, tableFromIPC, tableToIPC, vectorFromArray,
  RecordBatch, Struct, Int64, Float32, Null,
} from 'apache-arrow'
import { batchToRecordBatch } from '../workers/kernels/arrow-to.js'
import { recordBatchToBatch } from '../workers/kernels/arrow-from.js'
import type { ColumnMeta, Field } from '../proto/types.js'
import { typeName } from '../proto/types.js'
import { ALL_FIELDS, randomBatch, rowsOf } from './helpers/kernels.js'

function ipcRoundTrip(rb: RecordBatch): RecordBatch {
  const table = tableFromIPC(tableToIPC(new Table([rb]), 'stream'))
  t.equal(table.batches.length, 1)
  return table.batches[0]!
}

t.test('every type with nulls survives batch -> Arrow -> IPC -> Arrow -> batch', async (t) => {
  const batch = randomBatch(ALL_FIELDS, 500, 7)
  const meta: ColumnMeta[] = ALL_FIELDS.map((f, i) => ({ name: f.name, type: typeName(f), masked: i % 2 === 0, logical: f.type, precision: f.precision, scale: f.scale }))
  const rb = ipcRoundTrip(batchToRecordBatch(batch, meta))
  t.same(rb.schema.fields.map((f) => String(f.type)), [
    'Utf8', 'Utf8', 'Int16', 'Int32', 'Int64', 'Float32', 'Float64', 'Decimal[38e+3]', 'Bool', 'Date32<DAY>',
    'Timestamp<MICROSECOND, UTC>', 'Time64<MICROSECOND>', 'Binary',
  ])
  t.same(rb.schema.fields.map((f) => f.metadata.get('sluice.type')), meta.map((m) => m.type))
  t.same(rb.schema.fields.map((f) => f.metadata.get('sluice.masked')), meta.map((m) => String(m.masked)))
  const back = recordBatchToBatch(rb, ALL_FIELDS)
  t.equal(back.length, batch.length)
  t.same(rowsOf(back), rowsOf(batch))
  // null counts come from the validity bitmaps
  rb.data.children.forEach((d, i) => t.equal(d.nullCount, [...(batch.columns[i]!.nulls ?? [])].filter((x) => x).length, ALL_FIELDS[i]!.name))
  // without fields: natural types are the same logical types (json reads back as string)
  const natural = recordBatchToBatch(rb)
  t.same(natural.columns.map((c) => c.type), ALL_FIELDS.map((f) => (f.type === 'json' ? 'string' : f.type)))
})

t.test('no nulls, zero rows, and values that matter', async (t) => {
  const fields: Field[] = [
    { name: 'dec', type: 'decimal', nullable: false, precision: 38, scale: 2 },
    { name: 'i64', type: 'int64', nullable: false },
    { name: 's', type: 'string', nullable: false },
  ]
  const batch = {
    length: 5,
    columns: [
      { name: 'dec', type: 'decimal' as const, precision: 38, scale: 2, values: ['-0.05', '12.30', '0.00', '-99999999999999999999999999999999999.99', '170141183460469231731687303715884105.72'], nulls: null },
      { name: 'i64', type: 'int64' as const, values: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n, -1n, 0n), nulls: null },
      { name: 's', type: 'string' as const, values: ['\ufeffbom first', '\ud800', '😀', 'a\u0000b', '\ufeffbom'], nulls: null },
    ],
  }
  const rb = ipcRoundTrip(batchToRecordBatch(batch))
  t.equal(rb.data.children[0]!.nullCount, 0)
  const back = recordBatchToBatch(rb, fields)
  t.same(back.columns[0]!.values, batch.columns[0]!.values)
  t.same([...(back.columns[1]!.values as BigInt64Array)], [...batch.columns[1]!.values])
  // a lone surrogate is not valid UTF-8: it becomes U+FFFD; everything else is kept, BOM included
  t.same(back.columns[2]!.values, ['\ufeffbom first', '\ufffd', '😀', 'a\u0000b', '\ufeffbom'])
  const empty = recordBatchToBatch(ipcRoundTrip(batchToRecordBatch({ length: 0, columns: batch.columns.map((c) => ({ ...c, values: Array.isArray(c.values) ? [] : (c.values as BigInt64Array).subarray(0, 0) })) })), fields)
  t.equal(empty.length, 0)
  t.same(empty.columns.map((c) => c.values.length), [0, 0, 0])
})

function rbOf(cols: Record<string, ReturnType<typeof makeData>>): RecordBatch {
  const fields = Object.entries(cols).map(([name, d]) => new AField(name, d.type, true))
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: Object.values(cols)[0]!.length, children: Object.values(cols) }))
}

t.test('Arrow types Parquet files produce', async (t) => {
  const validity = Uint8Array.of(0b1011) // row 2 null
  const rb = ipcRoundTrip(rbOf({
    i8: makeData({ type: new Int8(), data: Int8Array.of(-128, 127, 0, 5), nullBitmap: validity }),
    u8: makeData({ type: new Uint8(), data: Uint8Array.of(255, 0, 1, 2) }),
    u16: makeData({ type: new Uint16(), data: Uint16Array.of(65535, 0, 1, 2) }),
    u32: makeData({ type: new Uint32(), data: Uint32Array.of(4294967295, 0, 1, 2) }),
    f16: makeData({ type: new Float16(), data: Uint16Array.of(0x3c00, 0xc000, 0x7c00, 0x3555) }),
    dms: makeData({ type: new DateMillisecond(), data: BigInt64Array.of(-86_400_000n, 0n, 86_400_000n * 365n, -1n) }),
    tss: makeData({ type: new TimestampSecond(), data: BigInt64Array.of(-1n, 0n, 1709287200n, 1n) }),
    tsn: makeData({ type: new TimestampNanosecond('UTC'), data: BigInt64Array.of(-1n, -1000n, -1001n, 1999n) }),
    t32: makeData({ type: new TimeMillisecond(), data: Int32Array.of(0, 1, 86_399_999, 3_600_000) }),
    t64n: makeData({ type: new TimeNanosecond(), data: BigInt64Array.of(0n, 1999n, 86_399_999_999_999n, 1000n) }),
    dec: makeData({ type: new Decimal(4, 10, 128), data: Uint32Array.of(1, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0, 0, 0, 1, 123450, 0, 0, 0) }),
    lu: makeData({ type: new LargeUtf8(), valueOffsets: BigInt64Array.of(0n, 1n, 3n, 3n, 7n), data: new TextEncoder().encode('aé€😀'.slice(0, 1) + 'é' + '😀') }),
  }))
  const b = recordBatchToBatch(rb)
  const get = (name: string) => b.columns.find((c) => c.name === name)!
  t.same([get('i8').type, [...get('i8').values], [...get('i8').nulls!]], ['int16', [-128, 127, 0, 5], [0, 0, 1, 0]])
  t.same([get('u8').type, [...get('u8').values]], ['int16', [255, 0, 1, 2]])
  t.same([get('u16').type, [...get('u16').values]], ['int32', [65535, 0, 1, 2]])
  t.same([get('u32').type, [...get('u32').values]], ['int64', [4294967295n, 0n, 1n, 2n]])
  t.same([get('f16').type, [...get('f16').values]], ['float32', [1, -2, Infinity, 0.333251953125]])
  t.same([get('dms').type, [...get('dms').values]], ['date', [-1, 0, 365, -1]])
  t.same([...get('tss').values], [-1_000_000n, 0n, 1709287200_000_000n, 1_000_000n])
  // nanoseconds truncate toward -infinity
  t.same([...get('tsn').values], [-1n, -1n, -2n, 1n])
  t.same([...get('t32').values], [0n, 1000n, 86_399_999_000n, 3_600_000_000n])
  t.same([...get('t64n').values], [0n, 1n, 86_399_999_999n, 1n])
  t.same([get('dec').type, get('dec').scale, get('dec').values], ['decimal', 4, ['0.0001', '-0.0001', String(2n ** 96n).replace(/(\d{4})$/, '.$1'), '12.3450']])
  t.same(get('lu').values, ['a', 'é', '', '😀'])
})

t.test('dictionary strings and casts to requested fields', async (t) => {
  const dict = vectorFromArray(['red', 'green', 'blue', 'red', 'red'])
  t.ok(dict.type instanceof Dictionary)
  const rb = ipcRoundTrip(rbOf({
    color: dict.data[0]!,
    n: makeData({ type: new Int32(), data: Int32Array.of(1, -2, 3, 4, 5) }),
    flag: makeData({ type: new Bool(), data: Uint8Array.of(0b10101), length: 5 }),
    x: makeData({ type: new Int64(), data: BigInt64Array.of(1n, 2n, 3n, 4n, 2147483647n) }),
    f: makeData({ type: new Float32(), data: Float32Array.of(0.5, 1, 2, 3, 4) }),
    nothing: makeData({ type: new Null(), length: 5 }),
  }))
  const b = recordBatchToBatch(rb, [
    { name: 'missing', type: 'timestamp', nullable: true },
    { name: 'n', type: 'int64', nullable: true },
    { name: 'color', type: 'string', nullable: true },
    { name: 'flag', type: 'string', nullable: true },
    { name: 'x', type: 'int32', nullable: true },
    { name: 'f', type: 'float64', nullable: true },
    { name: 'n', type: 'decimal', nullable: true, precision: 10, scale: 2 },
  ])
  t.same(b.columns.map((c) => c.name), ['missing', 'n', 'color', 'flag', 'x', 'f', 'n'])
  t.same([...b.columns[0]!.nulls!], [1, 1, 1, 1, 1])
  t.ok(b.columns[1]!.values instanceof BigInt64Array)
  t.same([...b.columns[1]!.values], [1n, -2n, 3n, 4n, 5n])
  t.same(b.columns[2]!.values, ['red', 'green', 'blue', 'red', 'red'])
  t.same(b.columns[3]!.values, ['true', 'false', 'true', 'false', 'true'])
  t.same([...b.columns[4]!.values], [1, 2, 3, 4, 2147483647])
  t.same([b.columns[5]!.type, [...b.columns[5]!.values]], ['float64', [0.5, 1, 2, 3, 4]])
  t.same(b.columns[6]!.values, ['1.00', '-2.00', '3.00', '4.00', '5.00'])
  t.throws(() => recordBatchToBatch(rb, [{ name: 'color', type: 'int64', nullable: true }]), { code: 'schema_mismatch' })
  // an Arrow Null column (e.g. all-None data written by pyarrow) reads as nulls of any type
  const nothing = recordBatchToBatch(rb, [{ name: 'nothing', type: 'int64', nullable: true }]).columns[0]!
  t.same([nothing.type, [...nothing.nulls!]], ['int64', [1, 1, 1, 1, 1]])
})

t.test('lone surrogates in neighbouring strings are not paired by the column encoder', async (t) => {
  const batch = { length: 3, columns: [{ name: 's', type: 'string' as const, values: ['a\ud83d', '\ude00b', 'é'], nulls: null }] }
  const back = recordBatchToBatch(ipcRoundTrip(batchToRecordBatch(batch)))
  t.same(back.columns[0]!.values, ['a\ufffd', '\ufffdb', 'é'])
})

t.test('sliced Arrow data (non-zero offsets) reads the right rows', async (t) => {
  const batch = randomBatch(ALL_FIELDS, 40, 11)
  const rb = batchToRecordBatch(batch).slice(13, 30)
  const back = recordBatchToBatch(rb, ALL_FIELDS)
  t.same(rowsOf(back), rowsOf(batch).slice(13, 30))
})
