// The run store's schema, as a list of migrations, for both backends (SQLite and PostgreSQL). The
// `meta` table holds schema_version: the number of migrations applied. Opening a store applies the
// ones it lacks, each in its own transaction (SQLite: under BEGIN IMMEDIATE; PostgreSQL: holding an
// advisory lock), so two processes opening a new store at once do not both migrate it. A store
// written by a newer Sous (a higher version than this code knows) is refused rather than guessed at.
//
// A migration's SQL is written once, with {real}, {int} and {rowid} for what differs (renderDdl):
// SQLite gets REAL, INTEGER and its implicit rowid, exactly the schema it always had; PostgreSQL gets
// DOUBLE PRECISION, BIGINT and an identity column named rowid (the board's live feed reads metrics
// by rowid).
//
// Times are Unix epoch seconds as {real} (millisecond precision), as TensorBoard's wall_time; JSON
// columns hold JSON text; a NULL metric value is a logged NaN.

import type { Database } from 'better-sqlite3';
import { renderDdl, SqliteDriver, type SqlDriver } from './sql.js';

export interface Migration {
  /** what the migration adds, for the error message when it fails */
  name: string;
  /** the statements, with {real}, {int} and {rowid} for the dialect's types (see renderDdl) */
  sql: string;
}

/** Append only: a migration, once released, is never edited (a file may have applied it). */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'runs, metrics, events, artifacts',
    sql: `
      CREATE TABLE runs (
        {rowid}
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        project     TEXT NOT NULL,
        status      TEXT NOT NULL,
        config      TEXT NOT NULL DEFAULT '{}',
        seed        {int},
        git_commit  TEXT,
        git_dirty   INTEGER,
        environment TEXT,
        data        TEXT,
        tags        TEXT NOT NULL DEFAULT '[]',
        started     {real} NOT NULL,
        ended       {real},
        pid         INTEGER,
        host        TEXT,
        heartbeat   {real},
        summary     TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX runs_project ON runs (project, started);
      CREATE INDEX runs_status ON runs (status);

      CREATE TABLE metrics (
        {rowid}
        run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step      {int} NOT NULL,
        epoch     {real},
        key       TEXT NOT NULL,
        value     {real},
        wall_time {real} NOT NULL
      );
      CREATE INDEX metrics_run_key_step ON metrics (run_id, key, step);

      CREATE TABLE events (
        {rowid}
        run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        step    {int},
        type    TEXT NOT NULL,
        message TEXT NOT NULL,
        data    TEXT,
        time    {real} NOT NULL
      );
      CREATE INDEX events_run ON events (run_id, time);

      CREATE TABLE artifacts (
        {rowid}
        run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name    TEXT NOT NULL,
        path    TEXT NOT NULL,
        kind    TEXT NOT NULL,
        bytes   {int},
        sha256  TEXT,
        created {real} NOT NULL
      );
      CREATE INDEX artifacts_run ON artifacts (run_id, name);
    `,
  },
  {
    // per run and metric key: the number of points, the last (highest step; on a tie, the last
    // written) value, and the min and max (NaNs, stored as NULL, left out). RunStore.write keeps it
    // up to date in the transaction that inserts the points, so sorting runs by a metric's
    // last/min/max reads one row per run instead of every point. Filled here from existing points.
    name: 'metric_summary',
    sql: `
      CREATE TABLE metric_summary (
        run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key        TEXT NOT NULL,
        points     {int} NOT NULL,
        last_step  {int} NOT NULL,
        last_value {real},
        min_value  {real},
        max_value  {real},
        PRIMARY KEY (run_id, key)
      );
      INSERT INTO metric_summary (run_id, key, points, last_step, last_value, min_value, max_value)
        SELECT m.run_id, m.key, count(*), max(m.step),
               (SELECT l.value FROM metrics l WHERE l.run_id = m.run_id AND l.key = m.key ORDER BY l.step DESC, l.rowid DESC LIMIT 1),
               min(m.value), max(m.value)
        FROM metrics m GROUP BY m.run_id, m.key;
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

function readVersion(db: SqlDriver): number {
  const row = db.get<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`);
  return row === undefined ? 0 : Number(row.value);
}

/** The schema version of a store opened read-only (0: no run-store tables). */
export function readSchemaVersion(db: SqlDriver): number {
  try {
    return readVersion(db);
  } catch {
    return 0;
  }
}

/**
 * Creates the meta table and applies the migrations the store lacks; returns the schema version.
 * `db` is a SqlDriver, or a better-sqlite3 connection.
 */
export function migrate(db: SqlDriver | Database, where: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const d: SqlDriver = 'dialect' in db ? db : new SqliteDriver(db);
  d.transaction(() => {
    d.serialize('schema'); // PostgreSQL: two CREATE TABLE IF NOT EXISTS at once can both try to create it
    d.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  });
  let version = readVersion(d);
  if (version > migrations.length) {
    throw new SchemaError(`${where} has run-store schema version ${version}, newer than this Sous knows (${migrations.length}): upgrade Sous, or open another store`);
  }
  while (version < migrations.length) {
    version = d.transaction(() => {
      d.serialize('schema');
      // another process may have migrated between our read and our lock
      const now = readVersion(d);
      if (now !== version) return now;
      const m = migrations[version]!;
      try {
        d.exec(renderDdl(m.sql, d.dialect));
      } catch (e) {
        throw new SchemaError(`${where}: migration ${version + 1} (${m.name}) failed: ${(e as Error).message}`);
      }
      d.run(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(version + 1)]);
      return version + 1;
    });
  }
  return version;
}
