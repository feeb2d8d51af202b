// A recorded confusion matrix (a 'confusion' event's data, a line of media/confusion.jsonl) and its
// check, apart from confusion.ts so that readers (the board, the export) need no torch.

/** One recorded matrix: the data of a 'confusion' event and a line of media/confusion.jsonl. */
export interface ConfusionRecord {
  /** the trainer's epoch (from 0) */
  epoch: number;
  step: number;
  /** the loader it was counted on */
  split: 'val';
  classes: string[];
  /** counts: matrix[true][predicted] */
  matrix: number[][];
}

/** A confusion record's data as written (undefined when malformed): a square matrix of non-negative counts. */
export function parseConfusion(data: unknown, eventStep: number | null = null): ConfusionRecord | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!Array.isArray(d.matrix) || d.matrix.length === 0) return undefined;
  const k = d.matrix.length;
  if (!d.matrix.every((row) => Array.isArray(row) && row.length === k && row.every(count))) return undefined;
  const step = typeof d.step === 'number' && Number.isFinite(d.step) ? d.step : eventStep;
  if (typeof d.epoch !== 'number' || !Number.isFinite(d.epoch) || step === null) return undefined;
  const classes = Array.isArray(d.classes) && d.classes.length === k ? d.classes.map(String) : Array.from({ length: k }, (_, i) => String(i));
  return { epoch: d.epoch, step, split: 'val', classes, matrix: d.matrix as number[][] };
}
