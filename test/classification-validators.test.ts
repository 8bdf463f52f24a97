// Classifier additions made for the classification endpoints: PostgreSQL inet text
// ("192.0.2.1/32") counts as an IP address, and "Given Family" values are person names
// under any column name. Both must keep unrelated shapes out.
import t from 'tap'
import * as v from '../workers/kernels/classify/validators.js'
import { classifyColumn } from '../workers/kernels/classify/detect.js'
import { spreadFiles } from '../workers/kernels/classify/sample-parquet.js'

t.test('IP addresses with a prefix length', async (t) => {
  for (const ok of ['192.0.2.1/32', '10.0.0.0/8', '2001:db8::1/128', '::1/128', '8.8.8.8']) t.ok(v.isIp(ok), ok)
  for (const bad of ['192.0.2.1/33', '2001:db8::1/129', '1.2.3.4/', '1.2.3.4/x', '1.2.3/24', '/32']) t.notOk(v.isIp(bad), bad)
})

t.test('person names under a neutral column name', async (t) => {
  const col = (values: string[]) => ({ name: 'customer', type: 'string' as const, values, nulls: null })
  const names = Array.from({ length: 40 }, (_, i) => `${['Emma', 'Liam', 'Sophie', 'Lukas'][i % 4]} ${['Jansen', 'de Vries', 'Müller'][i % 3]}`)
  t.equal(classifyColumn({ name: 'customer', type: 'string', nullable: true }, col(names), names.length).semantic_type, 'person_name')
  const products = Array.from({ length: 40 }, (_, i) => ['Oak Desk', 'Steel Chair', 'Desk Lamp Pro', 'Blue Sofa'][i % 4]!)
  t.not(classifyColumn({ name: 'customer', type: 'string', nullable: true }, col(products), products.length).semantic_type, 'person_name', 'name-shaped products are not people')
  const single = Array.from({ length: 40 }, (_, i) => ['Emma', 'Liam', 'Sophie', 'Lukas'][i % 4]!)
  t.not(classifyColumn({ name: 'customer', type: 'string', nullable: true }, col(single), single.length).semantic_type, 'person_name', 'lone given names need a name hint')
})

t.test('sample files spread over the table', async (t) => {
  t.same(spreadFiles([1, 2, 3], 16), [1, 2, 3])
  const picked = spreadFiles(Array.from({ length: 100 }, (_, i) => i), 5)
  t.same(picked, [0, 25, 50, 74, 99], 'first, last and evenly between')
})
