// Run tracking exports: TensorBoard event files (writer, reader) and a run-folder exporter.
export { EventFileWriter, readEventFile, FILE_VERSION, type EventFileWriterOptions, type HParamsOptions } from './tensorboard.js';
export { exportRunToTensorBoard, flattenConfig, type ExportResult } from './export.js';
export type { TensorBoardEvent, SummaryValue, ImageData } from './events.js';
export { histogram, type Histogram, type HistogramBins } from './histogram.js';
export { decodeHParamsPluginData, SessionStatus, type HParamsPluginData, type HParamValue } from './hparams.js';
export { crc32c, maskCrc, unmaskCrc } from './crc32c.js';
export { frameRecord, readRecords, type TFRecord } from './tfrecord.js';
export { RunStore, type RunStoreOptions, type RunInfo, type NewRun, type MetricRow, type EventRow, type ArtifactRow, type ListRunsOptions, type MarkCrashedOptions, type RunState, type LiveMetricRow, type MetricSummary } from './store.js';
export { isPostgresUrl, maskUrl, StoreConnectionError, PgQueryError } from './postgres.js';
export type { SqlDriver, SqlValue } from './sql.js';
export { Run, init, type InitOptions, type LogOptions } from './run.js';
export { MIGRATIONS, SCHEMA_VERSION, SchemaError, type Migration } from './schema.js';
export { MediaCallback, histogram as parameterHistogram, type MediaOptions, type Histogram as ParameterHistogram } from './media.js';
export { ConfusionCallback, confusionPng, parseConfusion, type ConfusionOptions, type ConfusionRecord } from './confusion.js';
