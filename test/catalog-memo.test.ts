// The catalog memos read on every request (a dataset by name, a caller's grant) against
// real SQLite files: a write through this process is seen at once, a write by another
// connection (another server process on the same DATA_DIR) within changes.ts's 100 ms, and
// deleting a dataset forgets its grants (ON DELETE CASCADE) in the memo too.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DatasetStore, GrantStore, openCatalogDb, type Dataset } from '../src/catalog/index.js'
import { EXTERNAL_CHECK_MS } from '../src/catalog/changes.js'

function dataset(id: string, name: string): Dataset {
  const now = new Date().toISOString()
  return {
    id, org: 'acme', name, kind: 'upload', description: 'first', schema: [], settings: {}, provenance: {},
    tablePath: null, currentVersion: 0, rowCount: 0, createdBy: 'alice', createdAt: now, updatedAt: now,
  }
}

async function eventually(t: Test, what: string, check: () => boolean): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > 20 * EXTERNAL_CHECK_MS) { t.fail(`${what}: not seen after ${Date.now() - started} ms`); return }
    await new Promise((r) => setTimeout(r, 10))
  }
  t.pass(`${what}: seen after ${Date.now() - started} ms`)
}

t.test('dataset and grant memos', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-catalog-memo-'))
  const a = openCatalogDb(dir)
  const b = openCatalogDb(dir) // a second connection: another process on the same DATA_DIR
  t.teardown(() => { a.close(); b.close(); fs.rmSync(dir, { recursive: true, force: true }) })
  const [datasetsA, grantsA] = [new DatasetStore(a), new GrantStore(a)]
  const [datasetsB, grantsB] = [new DatasetStore(b), new GrantStore(b)]

  datasetsA.insert(dataset('d1', 'sales'))
  const first = datasetsA.peek('acme', 'sales')!
  t.equal(first.description, 'first')
  t.equal(datasetsA.peek('acme', 'sales'), first, 'the memo returns the same object while nothing changed')
  t.not(datasetsA.get('acme', 'sales'), first, 'get() gives a copy')

  const changed = datasetsA.get('acme', 'sales')!
  changed.description = 'second'
  datasetsA.update(changed)
  t.equal(datasetsA.peek('acme', 'sales')!.description, 'second', 'a write through this process: seen at once')

  const keys = ['user:bob', 'role:viewer']
  t.equal(grantsA.permissionOf('acme', 'd1', keys), null)
  const { grant } = grantsA.upsert('acme', 'd1', 'role:viewer', 'dataset.read', 'alice')
  t.equal(grantsA.permissionOf('acme', 'd1', keys), 'dataset.read', 'a grant: seen at once')
  grantsA.upsert('acme', 'd1', 'role:viewer', 'dataset.readwrite', 'alice')
  t.equal(grantsA.permissionOf('acme', 'd1', keys), 'dataset.readwrite', 'a changed permission: seen at once')
  grantsA.delete('acme', 'd1', grant.id)
  t.equal(grantsA.permissionOf('acme', 'd1', keys), null, 'a revoked grant: gone at once')

  // another connection's writes
  t.equal(grantsA.permissionOf('acme', 'd1', ['user:carol']), null)
  grantsB.upsert('acme', 'd1', 'user:carol', 'dataset.read', 'alice')
  await eventually(t, "another process's grant", () => grantsA.permissionOf('acme', 'd1', ['user:carol']) === 'dataset.read')
  const byB = datasetsB.get('acme', 'sales')!
  byB.description = 'third'
  datasetsB.update(byB)
  await eventually(t, "another process's dataset change", () => datasetsA.peek('acme', 'sales')!.description === 'third')
  const granted = grantsB.listForDataset('acme', 'd1')
  for (const g of granted) grantsB.delete('acme', 'd1', g.id)
  await eventually(t, "another process's revocation", () => grantsA.permissionOf('acme', 'd1', ['user:carol']) === null)

  // deleting the dataset deletes its grants (ON DELETE CASCADE): the grant memo follows
  grantsA.upsert('acme', 'd1', 'user:dave', 'dataset.read', 'alice')
  t.equal(grantsA.permissionOf('acme', 'd1', ['user:dave']), 'dataset.read')
  datasetsA.delete('d1')
  t.equal(datasetsA.peek('acme', 'sales'), undefined, 'the deleted dataset is gone at once')
  t.equal(grantsA.permissionOf('acme', 'd1', ['user:dave']), null, 'and so are its grants')
})
