// `sous predict`: class probabilities of image files from a run's model, with the run's own
// preprocessing (channels, size, normalisation statistics of its training split).

import { parseArgs } from 'node:util';
import { torch } from '../torch/index.js';
import * as data from '../data/index.js';
import { openRun } from '../experiment/index.js';
import { formatPercent } from '../util/format.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit.js';

export const PREDICT_HELP = `usage: sous predict <run folder> <image files...> [--top K] [--json] [--weights best|last]

Classifies image files (PNG, JPEG, WebP) with a run's model: each image is converted to the run's
channels (grey or RGB), resized to its input size and normalised with its training statistics, as in
training. Prints the top K classes with their probabilities per file. A file that cannot be read is
reported and the others are still classified (exit code 2 at the end).

options:
  --top K        classes shown per image (default 3)
  --weights W    best (default) or last
  --json         one JSON object per image: {file, predictions: [{class, probability}]}
  -h, --help     this help

${EXIT_CODES_HELP}`;

export async function predictCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '3' },
      weights: { type: 'string', default: 'best' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${PREDICT_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length < 2) throw new UsageError('sous predict: give a run folder and at least one image file, e.g. sous predict runs/<run> shirt.png');
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1) throw new UsageError(`sous predict: --top must be an integer >= 1, got '${values.top}'`);
  if (values.weights !== 'best' && values.weights !== 'last') throw new UsageError(`sous predict: --weights must be best or last, got '${values.weights}'`);
  const r = await openRun(positionals[0]!, { weights: values.weights });
  if (r.config.task !== 'classification') {
    r.model.dispose();
    throw new UsageError(`sous predict classifies images; ${r.run.dir} is an ${r.config.task} run: score it with \`sous eval ${r.run.dir}\` (PSNR, SSIM); its media/ folder holds reconstructions of a fixed batch per epoch`);
  }
  const [C, H, W] = r.inputShape;
  const steps = [data.resize([H, W]), data.toFloat(), ...(r.stats ? [data.normalize(r.stats.mean, r.stats.std)] : [])];
  const device = r.model.parameters()[0]?.device ?? 'cpu';
  let failed = 0;
  for (const file of positionals.slice(1)) {
    let img: data.Image;
    try {
      img = data.applyTransforms(steps, await data.decodeImage(file, C === 1 ? 'gray' : 'rgb'));
    } catch (e) {
      failed++;
      const msg = e instanceof Error ? e.message : String(e);
      if (values.json) process.stdout.write(`${JSON.stringify({ file, error: msg })}\n`);
      else process.stderr.write(`${file}: cannot read this image: ${msg}\n`);
      continue;
    }
    const probs = torch.noGrad(() => torch.tidy(() => {
      const x = torch.fromTypedArray(img.data as Float32Array, [1, C, H, W]).to(device);
      return Array.from(r.model.call(x).softmax(1).squeeze(0).to('cpu').toArray() as Float32Array);
    }));
    const ranked = probs.map((p, i) => ({ class: r.classes[i] ?? String(i), probability: p })).sort((a, b) => b.probability - a.probability).slice(0, Math.min(top, probs.length));
    if (values.json) process.stdout.write(`${JSON.stringify({ file, predictions: ranked })}\n`);
    else process.stdout.write(`${file}: ${ranked.map((p) => `${p.class} ${formatPercent(p.probability, 1)}`).join(', ')}\n`);
  }
  return failed > 0 ? EXIT.usage : EXIT.ok;
}
