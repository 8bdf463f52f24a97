/**
 * The Delta Lake log: snapshots (replay, checkpoints, time travel), the protocol gate,
 * history, pruning, and put-if-absent commits with the actions Sluice writes.
 */
export type {
  AddFile, RemoveFile, ProtocolAction, MetadataAction, CommitInfo, TxnAction,
  DomainMetadataAction, DeletionVectorDescriptor,
} from './actions.js'
export { loadSnapshot, versionUnavailable } from './replay.js'
export type { Snapshot, ActiveFile, ReadAtOptions, LoadOptions } from './replay.js'
export { checkReadable, checkWritable, SUPPORTED_READER_FEATURES } from './protocol.js'
export type { WriteIntent } from './protocol.js'
export { readHistory } from './history.js'
export type { HistoryEntry, HistoryPage, HistoryOptions } from './history.js'
export { commitActions, isCommitConflict, CommitConflictError } from './commit.js'
export { createTableActions, appendActions, overwriteActions, removeAction } from './write-actions.js'
export type { NewFile, CreateTableOptions, AppendOptions, OverwriteOptions, CommitInfoOptions, DeltaActionJson } from './write-actions.js'
export { pruneFiles, compareLiterals } from './prune.js'
export type { PlannedFile, PruneOptions } from './prune.js'
export { parseStats } from './stats.js'
export type { FileStats, ColumnStats } from './stats.js'
export { parsePartitionValue, parsePartitionValues, formatPartitionValue } from './partition-values.js'
export { parseSchemaString, schemaStringToFields, fieldsToSchemaString } from './schema.js'
export type { DeltaStructType, DeltaStructField, UnsupportedColumn } from './schema.js'
export { encodeAddPath, partitionDirectory, resolveDataPath } from './paths.js'
export { isDeltaTable } from './log-files.js'
export { clearSnapshotCache } from './snapshot-cache.js'
export { commitWithRetry, configureCheckpoints } from './write.js'
export type { WriteIntent as CommitIntent, CommitOptions, CommitResult, CheckpointOutcome, CheckpointWriter } from './write.js'
export { compareSchemas, mergeSchemas, resolveAppendSchema, evolvedMetadata, schemaMismatchError } from './schema-evolution.js'
export type { SchemaDifference, SchemaDifferenceKind } from './schema-evolution.js'
export type { CheckpointResult, CheckpointTask, WriteCheckpointOptions } from './checkpoint-write.js'
export { planCheckpoint, parseIntervalMs } from './checkpoint-rows.js'
export { assertVersionFilesPresent } from './vacuum.js'
export { configureCheckpointReader, CheckpointReadError, type CheckpointContents } from './checkpoint-contents.js'
export type { CheckpointSet } from './log-files.js'
