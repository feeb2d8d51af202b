// The run store across processes on SQLite files: the cases of store-processes-cases.ts (four
// concurrent writers and a reader, SIGKILL and markCrashed, the exit hook).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processCases } from './store-processes-cases.js';

processCases({
  name: 'sqlite',
  fresh: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sous-store-proc-'));
    return { location: join(dir, 'runs.db'), dir, done: () => rmSync(dir, { recursive: true, force: true }) };
  },
  tenThousandPointsMs: 1000,
});
