// Exit codes scripts can rely on, and the mapping from errors to them. A user's mistake (bad config,
// missing file, bad data) is a clear message and code 2, never a stack trace; anything else is a bug
// in Sous and prints its stack with code 1.

export const EXIT = {
  ok: 0,
  /** a bug or an unexpected failure */
  error: 1,
  /** bad usage, config, data or files: the message says what to fix */
  usage: 2,
  /** training diverged: the training wheels ran out of rollbacks */
  diverged: 3,
  /** the doctor found a failing check */
  doctorFailed: 4,
  /** interrupted (Ctrl-C, SIGTERM) after writing a checkpoint; 128 + SIGINT */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `exit codes:
  0    finished (completed, early-stopped or reached max_steps)
  1    unexpected error (a bug: please report it with the printed stack)
  2    bad usage, config, data or file: the message names the problem and the fix
  3    training diverged (NaN or loss spikes after every rollback)
  4    a doctor check failed (sous doctor; sous train when a cheap check fails)
  130  interrupted by Ctrl-C or SIGTERM (a checkpoint was written; --resume continues)`;

/** Errors that are the user's to fix: their message is enough. */
const USER_ERRORS = new Set(['DoctorFailedError', 'ConfigError', 'DataError', 'DatasetError', 'ModelConfigError', 'CheckpointError', 'TrainerError', 'UsageError', 'SafetensorsError', 'StateDictError', 'MetricError']);

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isUserError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  if (USER_ERRORS.has(e.name) || USER_ERRORS.has(e.constructor.name)) return true;
  // node's own file errors (ENOENT on a path the user gave) and argument parsing
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
}
