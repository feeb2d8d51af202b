// `sous board`: the web dashboard over the run store, until Ctrl-C.

import { parseArgs } from 'node:util';
import { BoardError, startBoard, type Board } from '../board/index.js';
import { EXIT, UsageError } from './exit.js';

export const BOARD_HELP = `usage: sous board [--store FILE|URL] [--host ADDR] [--port N]

Serves a dashboard of the runs in the run store: a runs table (filter, sort by a metric, status,
tags), each run's curves (smoothing, log axis), events, config and artifacts, a comparison of
selected runs (overlaid curves, config diff), and live curves of running trainings. Stop it with
Ctrl-C. Runs left 'running' by a process that is gone are marked 'crashed' at start.

options:
  --store FILE|URL  the run store: a SQLite file, or a PostgreSQL URL such as
                    postgres://user:password@host:5432/db (default: $SOUS_STORE, else
                    .sous/runs.db)
  --host ADDR       the address to listen on (default 127.0.0.1: this machine only; 0.0.0.0
                    shares the board with the network, without any authentication)
  --port N          the port (default 6006; 0: any free port)

The JSON API it serves (/api/runs, /api/runs/:id/metrics, /api/compare, /api/live...) is described
in docs/board.md.`;

export async function boardCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { store: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${BOARD_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`sous board takes no positional arguments (got ${positionals.join(' ')}); the store is --store FILE or --store postgres://...`);
  let port = 6006;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got '${values.port}')`);
    port = Number(values.port);
  }
  if (values.host === '') throw new UsageError('--host must not be empty (e.g. 127.0.0.1)');
  let board: Board;
  try {
    board = await startBoard({ ...(values.store !== undefined ? { store: values.store } : {}), ...(values.host !== undefined ? { host: values.host } : {}), port });
  } catch (e) {
    // a missing store, a port in use: the user's to fix (exit code 2)
    if (e instanceof BoardError || ['EADDRNOTAVAIL', 'EACCES', 'ENOTFOUND'].includes((e as NodeJS.ErrnoException).code ?? '')) throw new UsageError((e as Error).message);
    throw e;
  }
  if (board.crashed.length > 0) process.stdout.write(`marked ${board.crashed.length} run(s) crashed (their process is gone): ${board.crashed.join(', ')}\n`);
  process.stdout.write(`sous board: ${board.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void board.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return EXIT.ok;
}
