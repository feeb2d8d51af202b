// The run store's SQLite schema, as a list of migrations. The `meta` table holds schema_version: the
// number of migrations applied. Opening a store applies the ones it lacks, each in its own
// transaction (under BEGIN IMMEDIATE, so two processes opening a new file at once do not both
// migrate it). A file written by a newer Sous (a higher version than this code knows) is refused
// rather than guessed at.
//
// Times are Unix epoch seconds as REAL (millisecond precision), as TensorBoard's wall_time; JSON
// columns hold JSON text; a NULL metric value is a logged NaN.

import type { Database } from 'better-sqlite3';

export interface Migration {
  /** what the migration adds, for the error message when it fails */
  name: string;
  sql: string;
}

/** Append only: a migration, once released, is never edited (a file may have applied it). */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'runs, metrics, events, artifacts',
    sql: `
      CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        project     TEXT NOT NULL,
        status      TEXT NOT NULL,
        config      TEXT NOT NULL DEFAULT '{}',
        seed        INTEGER,
        git_commit  TEXT,
        git_dirty   INTEGER,
        environment TEXT,
        data        TEXT,
        tags        TEXT NOT NULL DEFAULT '[]',
        started     REAL NOT NULL,
        ended       REAL,
        pid         INTEGER,
        host        TEXT,
        heartbeat   REAL,
        summary     TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX runs_project ON runs (project, started);
      CREATE INDEX runs_status ON runs (status);

      CREATE TABLE metrics (
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step      INTEGER NOT NULL,
        epoch     REAL,
        key       TEXT NOT NULL,
        value     REAL,
        wall_time REAL NOT NULL
      );
      CREATE INDEX metrics_run_key_step ON metrics (run_id, key, step);

      CREATE TABLE events (
        run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step    INTEGER,
        type    TEXT NOT NULL,
        message TEXT NOT NULL,
        data    TEXT,
        time    REAL NOT NULL
      );
      CREATE INDEX events_run ON events (run_id, time);

      CREATE TABLE artifacts (
        run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name    TEXT NOT NULL,
        path    TEXT NOT NULL,
        kind    TEXT NOT NULL,
        bytes   INTEGER,
        sha256  TEXT,
        created REAL NOT NULL
      );
      CREATE INDEX artifacts_run ON artifacts (run_id, name);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

function readVersion(db: Database): number {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
  return row === undefined ? 0 : Number(row.value);
}

/** Creates the meta table and applies the migrations the file lacks; returns the schema version. */
export function migrate(db: Database, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  let version = readVersion(db);
  if (version > migrations.length) {
    throw new SchemaError(`${file} has run-store schema version ${version}, newer than this Sous knows (${migrations.length}): upgrade Sous, or open another file`);
  }
  while (version < migrations.length) {
    const step = db.transaction(() => {
      // another process may have migrated between our read and our write lock
      const now = readVersion(db);
      if (now !== version) return now;
      const m = migrations[version]!;
      try {
        db.exec(m.sql);
      } catch (e) {
        throw new SchemaError(`${file}: migration ${version + 1} (${m.name}) failed: ${(e as Error).message}`);
      }
      db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(version + 1));
      return version + 1;
    });
    version = step.immediate();
  }
  return version;
}
