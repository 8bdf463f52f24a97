/**
 * Catalog schema migrations, applied in order at open. Append new steps; never edit one
 * that has shipped (user catalogs already ran it).
 */
export const MIGRATIONS: string[] = [
  `CREATE TABLE datasets (
     id            TEXT PRIMARY KEY,
     org           TEXT NOT NULL,
     name          TEXT NOT NULL,
     kind          TEXT NOT NULL CHECK (kind IN ('connector', 'lakehouse', 'upload')),
     description   TEXT NOT NULL DEFAULT '',
     schema_json   TEXT NOT NULL,
     settings_json TEXT NOT NULL DEFAULT '{}',
     provenance_json TEXT NOT NULL DEFAULT '{}',
     table_path    TEXT,
     current_version INTEGER,
     row_count     INTEGER,
     created_by    TEXT NOT NULL,
     created_at    TEXT NOT NULL,
     updated_at    TEXT NOT NULL,
     UNIQUE (org, name)
   )`,
  `CREATE TABLE jobs (
     id          TEXT PRIMARY KEY,
     org         TEXT NOT NULL,
     kind        TEXT NOT NULL,
     state       TEXT NOT NULL,
     progress_json TEXT NOT NULL DEFAULT '{}',
     dataset     TEXT,
     created_by  TEXT NOT NULL,
     created_at  TEXT NOT NULL,
     updated_at  TEXT NOT NULL,
     error_json  TEXT,
     result_json TEXT
   )`,
  `CREATE INDEX jobs_org ON jobs (org, created_at)`,
  // Connectors (PostgreSQL, later BigQuery). config_json never holds a secret: passwords are
  // in secrets_blob, sealed with AES-256-GCM (src/catalog/secret-box.ts).
  `CREATE TABLE connectors (
     org          TEXT NOT NULL,
     id           TEXT NOT NULL,
     type         TEXT NOT NULL,
     config_json  TEXT NOT NULL,
     secrets_blob BLOB,
     source       TEXT NOT NULL CHECK (source IN ('api', 'file')),
     created_by   TEXT NOT NULL,
     created_at   TEXT NOT NULL,
     updated_at   TEXT NOT NULL,
     PRIMARY KEY (org, id)
   )`,
  // Share grants (governance): a permission on one dataset for a user, group or role.
  // Deleting the dataset deletes its grants.
  `CREATE TABLE grants (
     id          TEXT PRIMARY KEY,
     org         TEXT NOT NULL,
     dataset_id  TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
     principal   TEXT NOT NULL,
     permission  TEXT NOT NULL CHECK (permission IN ('dataset.read', 'dataset.readwrite')),
     created_by  TEXT NOT NULL,
     created_at  TEXT NOT NULL,
     UNIQUE (dataset_id, principal)
   )`,
  `CREATE INDEX grants_org_principal ON grants (org, principal)`,
  // Column classification (governance): one row per (dataset, column). Manual overrides
  // (source = 'manual') survive automatic re-classification.
  `CREATE TABLE column_classifications (
     dataset_id    TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
     column_name   TEXT NOT NULL,
     semantic_type TEXT NOT NULL,
     sensitivity   TEXT NOT NULL,
     confidence    REAL NOT NULL,
     source        TEXT NOT NULL CHECK (source IN ('auto', 'manual')),
     updated_at    TEXT NOT NULL,
     PRIMARY KEY (dataset_id, column_name)
   )`,
]
