// Run tracking exports: TensorBoard event files (writer, reader) and a run-folder exporter.
export { EventFileWriter, readEventFile, FILE_VERSION, type EventFileWriterOptions, type HParamsOptions } from './tensorboard.js';
export { exportRunToTensorBoard, flattenConfig, type ExportResult } from './export.js';
export type { TensorBoardEvent, SummaryValue, ImageData } from './events.js';
export { histogram, type Histogram, type HistogramBins } from './histogram.js';
export { decodeHParamsPluginData, SessionStatus, type HParamsPluginData, type HParamValue } from './hparams.js';
export { crc32c, maskCrc, unmaskCrc } from './crc32c.js';
export { frameRecord, readRecords, type TFRecord } from './tfrecord.js';
