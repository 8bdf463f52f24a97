/**
 * src/query: the explore grammar (proto/GRAMMAR.md) → a validated Plan (proto/plan.ts).
 * Pure functions; they throw SluiceError 422 (invalid_query / invalid_parameter).
 */
export type { ParsedExplore } from './explore.js'
export { parseExploreParams, RESERVED_PARAMS } from './params.js'
export { parseExploreBody } from './body.js'
export { compilePostgres, quoteIdent, type PgSql, type PgSqlSource } from './postgres-sql.js'
export { compileBigQuery, toRestParameters, type BigQueryParam, type BigQuerySql, type BigQuerySqlSource } from './bigquery-sql.js'
