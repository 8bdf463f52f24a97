export { openCatalogDb, type CatalogDb } from './db.js'
export { DatasetStore, SORTS, type Dataset, type DatasetKind, type DatasetSort, type Provenance } from './datasets.js'
export { JobStore, type Job, type JobState, type JobProgress } from './jobs.js'
export { validateSettings, type DatasetSettings, type MaskingRule } from './settings.js'
export { validateDatasetName } from './names.js'
export {
  ConnectorStore, CONNECTOR_ID, RESERVED_CONNECTOR_IDS, connectorIdTaken, validateConnectorId,
  type ConnectorRecord, type ConnectorSource,
} from './connectors.js'
export { SecretBox, SecretsUnreadableError, secretsKeyPath, type ConnectorSecrets } from './secret-box.js'
export { GrantStore, PERMISSIONS, principalKeys, validatePermission, validatePrincipal, type Grant, type Permission } from './grants.js'
export { ClassificationStore } from './classifications.js'
