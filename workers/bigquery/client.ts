/**
 * The one way Sluice builds a BigQuery client (main thread and workers alike).
 *
 * - With credentials: the service-account key, scoped to BigQuery.
 * - With `apiEndpoint` and no credentials (emulators, tests): an auth client that adds no
 *   header and knows its project, so the library never probes the cloud metadata server
 *   (STACK.md) and requests carry no authorization at all.
 * - Neither: refused — Sluice never falls back to ambient (metadata-server) credentials.
 */
import { BigQuery } from '@google-cloud/bigquery'
import { SluiceError } from '../../proto/errors.js'
import type { BigQueryConnection } from '../../proto/bigquery.js'

export function createBigQueryClient(conn: BigQueryConnection): BigQuery {
  const common = {
    projectId: conn.projectId,
    ...(conn.location ? { location: conn.location } : {}),
    ...(conn.apiEndpoint ? { apiEndpoint: conn.apiEndpoint } : {}),
    // retries are ours to decide (a stream must not silently re-run a billed query)
    autoRetry: false,
  }
  if (conn.credentials) {
    return new BigQuery({ ...common, credentials: { client_email: conn.credentials.client_email, private_key: conn.credentials.private_key } })
  }
  if (conn.apiEndpoint) {
    const projectId = conn.projectId
    const noAuth = { getRequestHeaders: async () => new Headers(), getProjectId: async () => projectId }
    return new BigQuery({ ...common, authClient: noAuth as never })
  }
  throw new SluiceError(503, 'connector_unavailable', 'the BigQuery connector has no credentials (set a service-account key, or api_endpoint for an emulator)')
}
