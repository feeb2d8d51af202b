// `sous export`: a run folder as TensorBoard event files, for people who keep TensorBoard.

import { parseArgs } from 'node:util';
import { exportRunToTensorBoard } from '../track/index.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit.js';

export const EXPORT_HELP = `usage: sous export <run folder> [--out DIR]

Writes a run's metrics (per step: train/loss_step, lr; per epoch: every train/ and val/ metric), its
test metrics and its resolved config as hyperparameters into TensorBoard event files (default:
<run>/tensorboard). Then: tensorboard --logdir runs/ (one run per folder; re-exporting replaces the
earlier export).

options:
  --out DIR      where the event file goes
  -h, --help     this help

${EXIT_CODES_HELP}`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write(`${EXPORT_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('sous export: give one run folder, e.g. sous export runs/2026-11-23_10-00-00_fashion-cnn');
  const r = exportRunToTensorBoard(positionals[0]!, values.out);
  process.stdout.write(`${r.file}: ${r.scalars} scalars, ${Object.keys(r.hparams).length} hyperparameters, ${Object.keys(r.metrics).length} final metrics\n`);
  return EXIT.ok;
}
