#!/usr/bin/env node
// The `sous` command: dispatches to the subcommands and turns errors into messages and exit codes.

import { trainCommand, TRAIN_HELP } from './train.js';
import { evalCommand } from './eval.js';
import { predictCommand } from './predict.js';
import { doctorCommand } from './doctor.js';
import { exportCommand } from './export.js';
import { boardCommand } from './board.js';
import { EXIT, EXIT_CODES_HELP, isUserError } from './exit.js';

const HELP = `usage: sous <command> [options]

Sous trains neural networks with the training recipe's guard rails built in.

commands:
  train     train a model from a config (sous train configs/fashion.yaml optim.lr=3e-4)
  eval      evaluate a run's model on its test split: accuracy per class, confusion matrix
  predict   classify image files with a run's model
  doctor    run the training recipe's checks on a config: data, loss at init, batch independence,
            dead layers, overfitting one batch, a learning-rate range test...
  export    write a run as TensorBoard event files
  board     the web dashboard of the recorded runs (loopback, http://127.0.0.1:6006)

sous <command> --help tells more about each.

${EXIT_CODES_HELP}`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  train: trainCommand,
  eval: evalCommand,
  predict: predictCommand,
  doctor: doctorCommand,
  export: exportCommand,
  board: boardCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(`${HELP}\n`);
    return cmd === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = COMMANDS[cmd];
  if (run === undefined) {
    process.stderr.write(`sous: unknown command '${cmd}'; the commands are ${Object.keys(COMMANDS).join(', ')} (sous --help)\n`);
    return EXIT.usage;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`sous ${cmd}: ${e.message}\n`);
      return e.name === 'DoctorFailedError' ? EXIT.doctorFailed : EXIT.usage;
    }
    process.stderr.write(`sous ${cmd}: unexpected error (a bug in Sous; please report it with this output):\n${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return EXIT.error;
  }
}

// Run only as a program, not when imported (tests import main()).
const invoked = process.argv[1] ?? '';
if (invoked.endsWith('/cli/main.js') || invoked.endsWith('/bin/sous')) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exitCode = EXIT.error;
  });
}

export { TRAIN_HELP };
