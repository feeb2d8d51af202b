// `sous doctor`: the recipe's checks on what a config describes, cheap first, with a report in the
// terminal and as JSON and HTML in a run folder.

import { parseArgs } from 'node:util';
import { ALL_CHECKS } from '../checks/index.js';
import { formatReport, formatResult, writeReport } from '../checks/report.js';
import { loadExperiment } from '../experiment/index.js';
import { runDoctor } from '../experiment/doctor.js';
import { recordDoctor } from '../experiment/record.js';
import { RunFolder } from '../train/index.js';
import { formatTable } from './table.js';
import { EXIT, EXIT_CODES_HELP, UsageError } from './exit.js';

export const DOCTOR_HELP = `usage: sous doctor <config.yaml> [overrides...] [options]

Runs the training recipe's checks on the data, model, loss and optimizer a config describes, cheap
first, and prints each check's verdict (pass, warn, fail), its evidence and the fix. The report is
also saved as doctor.json and a self-contained doctor.html (with figures) in a run folder.

options:
  --only IDS     run only these checks (comma-separated ids; see --list)
  --cheap        run only the cheap checks (what \`sous train\` runs first)
  --out DIR      where the report goes (default: <out_dir>/<date>_<time>_doctor-<name>)
  --list         list the checks and exit
  -h, --help     this help

examples:
  sous doctor configs/fashion.yaml
  sous doctor configs/fashion.yaml model=resnet --only loss-at-init,batch-independence

${EXIT_CODES_HELP}`;

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      cheap: { type: 'boolean', default: false },
      out: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${DOCTOR_HELP}\n`);
    return EXIT.ok;
  }
  if (values.list) {
    process.stdout.write(`${formatTable(['id', 'group', 'cost', 'title'], ALL_CHECKS.map((c) => [c.id, c.group, c.cost, c.title]))}\n`);
    return EXIT.ok;
  }
  const configPath = positionals[0];
  if (configPath === undefined) throw new UsageError('sous doctor: give a config file, e.g. sous doctor configs/fashion.yaml');
  const exp = loadExperiment(configPath, positionals.slice(1));
  const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = values.out !== undefined ? new RunFolder(values.out) : RunFolder.create(exp.config.out_dir, `doctor-${exp.config.name}`);
  const tty = process.stderr.isTTY === true;
  const report = await runDoctor(exp, ALL_CHECKS, {
    ...(values.cheap ? { costs: ['cheap'] as const } : {}),
    ...(only ? { only } : {}),
    onStart: (c, i, n) => { if (tty) process.stderr.write(`\r\x1b[K[${i + 1}/${n}] ${c.title}...`); },
    onResult: (r) => {
      if (tty) process.stderr.write('\r\x1b[K');
      process.stdout.write(`${formatResult(r)}\n`);
    },
  });
  const paths = writeReport(out.dir, report, { title: `Sous doctor: ${exp.config.name}`, subtitle: `${configPath} ${positionals.slice(1).join(' ')}`.trim(), config: configPath, overrides: positionals.slice(1) });
  recordDoctor(exp, out, report, paths.html);
  process.stdout.write(`${formatReport({ ...report, results: [] })}\nreport: ${paths.html}\n`);
  return report.counts.fail > 0 ? EXIT.doctorFailed : EXIT.ok;
}
