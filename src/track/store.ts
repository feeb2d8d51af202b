// The run store: runs, their metrics, events and artifacts, written by any number of processes at
// once. Two backends behind one synchronous API: a SQLite file (default .sous/runs.db) or a
// PostgreSQL database (a postgres:// URL, e.g. SOUS_STORE=postgres://user:pw@host/db). The schema
// and the queries are written once, against SqlDriver (sql.ts); postgres.ts makes pg synchronous.
//
// SQLite: WAL mode lets readers go on while a writer commits; busy_timeout makes a writer wait for
// the lock instead of failing with SQLITE_BUSY; every write is one BEGIN IMMEDIATE transaction
// (taking the write lock up front, where the busy handler applies, rather than upgrading a read lock,
// where SQLite returns SQLITE_BUSY at once).
// PostgreSQL: every write is one READ COMMITTED transaction; metric inserts also hold an advisory
// lock, so that rowids (an identity column) become visible in increasing order for the board's live
// feed, as SQLite's do.
//
// better-sqlite3, pg and synckit are loaded on first open, so importing Sous works without them.

import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { RunStatus } from '../train/run-folder.js';
import { isPostgresUrl, PgDriver } from './postgres.js';
import { migrate, readSchemaVersion, SCHEMA_VERSION } from './schema.js';
import { DIALECTS, loadSqlite, SqliteDriver, type SqlDriver, type SqlValue } from './sql.js';

export type { RunStatus };

export interface RunStoreOptions {
  /** how long a writer waits for another's lock before SQLITE_BUSY, or PostgreSQL's lock_timeout (default 5000 ms) */
  busyTimeoutMs?: number;
  /** open an existing store read-only (no migration; the schema must be current) */
  readonly?: boolean;
  /** PostgreSQL: give up connecting after this long (default 10 000 ms) */
  connectTimeoutMs?: number;
  /** PostgreSQL: give up on one query after this long (default 60 000 ms) */
  queryTimeoutMs?: number;
}

/** A run as stored (JSON columns parsed; times are Unix epoch seconds). */
export interface RunInfo {
  id: string;
  name: string;
  project: string;
  status: RunStatus;
  config: Record<string, unknown>;
  seed: number | null;
  git: { commit: string | null; dirty: boolean | null };
  environment: unknown;
  data: unknown;
  tags: string[];
  started: number;
  ended: number | null;
  pid: number | null;
  host: string | null;
  heartbeat: number | null;
  summary: Record<string, unknown>;
  /** with listRuns({ orderBy: { metric } }): the value sorted on (null: the run never logged it) */
  sortValue?: number | null;
}

/** What createRun needs; the rest defaults (status 'running', this process and host, now). */
export interface NewRun {
  id: string;
  name: string;
  project: string;
  status?: RunStatus;
  config?: Record<string, unknown>;
  seed?: number | null;
  git?: { commit: string | null; dirty: boolean | null };
  environment?: unknown;
  data?: unknown;
  tags?: readonly string[];
  started?: number;
  pid?: number | null;
  host?: string | null;
}

export interface MetricRow {
  step: number;
  epoch: number | null;
  key: string;
  /** NaN is stored as NULL and read back as NaN */
  value: number;
  wallTime: number;
}

export interface EventRow {
  step: number | null;
  type: string;
  message: string;
  data: unknown;
  time: number;
}

export interface ArtifactRow {
  name: string;
  path: string;
  kind: string;
  bytes: number | null;
  sha256: string | null;
  created: number;
}

export interface ListRunsOptions {
  filter?: {
    project?: string;
    status?: RunStatus | readonly RunStatus[];
    /** runs carrying every one of these tags */
    tags?: readonly string[];
    /** SQL LIKE pattern on the name ('%' any run of characters, '_' one) */
    name?: string;
    /** config values by dotted path: { 'optim.lr': 0.001 } (null matches a missing or null value) */
    config?: Record<string, string | number | boolean | null>;
    /** started at or after this time (Unix seconds) */
    since?: number;
  };
  /**
   * sort by a metric: its last logged value (the highest step), or its min or max over the run;
   * runs without the metric come last. Without it, newest runs first.
   */
  orderBy?: { metric: string; reduce?: 'last' | 'min' | 'max'; direction?: 'asc' | 'desc' };
  limit?: number;
}

export interface MarkCrashedOptions {
  /** a running run whose heartbeat is older than this is crashed, on any host (default 10 minutes) */
  heartbeatTimeoutMs?: number;
  /** now, in Unix seconds (for tests) */
  now?: number;
}

/** One metric key of a run, from metric_summary (store.metricSummaries). */
export interface MetricSummary { key: string; points: number; lastStep: number; last: number; min: number; max: number }

// metric_summary's upsert: a batch's per-key summary merged with the stored one (see upsertSummaries)
const SUMMARY_CHUNK = 500;
const SUMMARY_UPSERT_HEAD = 'INSERT INTO metric_summary AS s (run_id, key, points, last_step, last_value, min_value, max_value) VALUES';
const SUMMARY_UPSERT_TAIL = `ON CONFLICT (run_id, key) DO UPDATE SET
  points = s.points + excluded.points,
  last_step = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last_step ELSE s.last_step END,
  last_value = CASE WHEN excluded.last_step >= s.last_step THEN excluded.last_value ELSE s.last_value END,
  min_value = CASE WHEN s.min_value IS NULL OR excluded.min_value < s.min_value THEN excluded.min_value ELSE s.min_value END,
  max_value = CASE WHEN s.max_value IS NULL OR excluded.max_value > s.max_value THEN excluded.max_value ELSE s.max_value END`;

/** A run's state as the board's live feed polls it. */
export interface RunState { id: string; name: string; project: string; status: string; started: number; ended: number | null; heartbeat: number | null }

/** A metric point with its rowid (the order points were committed in), for the board's live feed. */
export interface LiveMetricRow { id: number; run: string; step: number; key: string; value: number | null }

interface RunRowRaw {
  id: string; name: string; project: string; status: string; config: string; seed: number | null;
  git_commit: string | null; git_dirty: number | null; environment: string | null; data: string | null;
  tags: string; started: number; ended: number | null; pid: number | null; host: string | null;
  heartbeat: number | null; summary: string; sort_value?: number | null;
}

/** Unix epoch seconds, millisecond precision. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

function json(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new TypeError(`${what} must be JSON-serializable: ${(e as Error).message}`);
  }
  if (text === undefined) throw new TypeError(`${what} must be JSON-serializable (got ${typeof value})`);
  return text;
}

function parse<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by another user
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export class RunStore {
  /** the SQLite file, or the PostgreSQL URL with its password masked */
  readonly path: string;
  readonly schemaVersion: number;
  /** the connection, behind the SQL driver both backends share (`?` placeholders) */
  readonly sql: SqlDriver;
  private closed = false;

  private constructor(path: string, sql: SqlDriver, version: number) {
    this.path = path;
    this.sql = sql;
    this.schemaVersion = version;
  }

  /**
   * Opens the store at `location`, migrating it to the current schema: a postgres:// or
   * postgresql:// URL is a PostgreSQL database; anything else is a SQLite file, created with its
   * folder if needed.
   */
  static open(location = '.sous/runs.db', opts: RunStoreOptions = {}): RunStore {
    if (isPostgresUrl(location)) return RunStore.openPostgres(location, opts);
    const Driver = loadSqlite();
    const memory = location === ':memory:';
    const file = memory ? location : resolve(location);
    if (!memory && !opts.readonly) mkdirSync(dirname(file), { recursive: true });
    let conn: Database;
    try {
      conn = new Driver(file, opts.readonly ? { readonly: true, fileMustExist: true } : {});
    } catch (e) {
      throw new Error(`cannot open the run store ${file}: ${(e as Error).message}`);
    }
    try {
      // the busy handler first, so that switching to WAL waits for other openers too
      conn.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
      if (!opts.readonly) {
        const mode = conn.pragma('journal_mode = WAL', { simple: true }) as string;
        if (!memory && mode.toLowerCase() !== 'wal') throw new Error(`${file}: SQLite would not switch to WAL mode (journal_mode is ${mode}); is it on a network file system?`);
        conn.pragma('synchronous = NORMAL'); // durable at checkpoints; a power cut can lose the last commits, never corrupt
      }
      conn.pragma('foreign_keys = ON');
      return RunStore.finishOpen(file, new SqliteDriver(conn), opts);
    } catch (e) {
      conn.close();
      throw e;
    }
  }

  private static openPostgres(url: string, opts: RunStoreOptions): RunStore {
    const driver = PgDriver.connect(url, {
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
      ...(opts.queryTimeoutMs !== undefined ? { queryTimeoutMs: opts.queryTimeoutMs } : {}),
      lockTimeoutMs: opts.busyTimeoutMs ?? 5000,
      readonly: opts.readonly === true,
    });
    try {
      return RunStore.finishOpen(driver.where, driver, opts);
    } catch (e) {
      driver.close();
      throw e;
    }
  }

  private static finishOpen(where: string, sql: SqlDriver, opts: RunStoreOptions): RunStore {
    let version: number;
    if (opts.readonly) {
      version = readSchemaVersion(sql);
      if (version !== SCHEMA_VERSION) throw new Error(`${where} has run-store schema version ${version}, this Sous reads ${SCHEMA_VERSION}: open it read-write once to migrate`);
    } else {
      version = migrate(sql, where);
    }
    return new RunStore(where, sql, version);
  }

  /** Which backend holds the store. */
  get backend(): 'sqlite' | 'postgres' {
    return this.sql.dialect;
  }

  /** The better-sqlite3 connection of a SQLite store, for queries this class does not offer (`sql` works on both backends). */
  get db(): Database {
    this.check();
    if (!(this.sql instanceof SqliteDriver)) throw new Error(`store.db is the SQLite connection, and the run store ${this.path} is PostgreSQL: use store.sql (get, all, run with ? placeholders)`);
    return this.sql.db;
  }

  private check(): void {
    if (this.closed) throw new Error(`the run store ${this.path} is closed`);
  }

  createRun(run: NewRun): void {
    this.check();
    const started = run.started ?? nowSeconds();
    const row: SqlValue[] = [
      run.id,
      run.name,
      run.project,
      run.status ?? 'running',
      json(run.config ?? {}, 'config'),
      run.seed ?? null,
      run.git?.commit ?? null,
      run.git?.dirty === undefined || run.git.dirty === null ? null : run.git.dirty ? 1 : 0,
      run.environment === undefined ? null : json(run.environment, 'environment'),
      run.data === undefined ? null : json(run.data, 'data'),
      json(run.tags ?? [], 'tags'),
      started,
      run.pid === undefined ? process.pid : run.pid,
      run.host === undefined ? hostname() : run.host,
      started, // the heartbeat
    ];
    try {
      this.sql.transaction(() => this.sql.run(`INSERT INTO runs (id, name, project, status, config, seed, git_commit, git_dirty, environment, data, tags, started, pid, host, heartbeat)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row));
    } catch (e) {
      if (this.sql.isUniqueViolation(e)) throw new Error(`a run with id '${run.id}' is already in ${this.path}`);
      throw e;
    }
  }

  /**
   * Writes a batch of one run's metrics and events and sets its heartbeat, in one transaction.
   * The rows are assumed valid (Run.log checks them).
   */
  write(runId: string, metrics: readonly MetricRow[], events: readonly EventRow[] = [], heartbeat = nowSeconds()): void {
    this.check();
    const eventRows = events.map((e) => [runId, e.step, e.type, e.message, e.data === undefined ? null : json(e.data, `event '${e.type}' data`), e.time]);
    this.sql.transaction(() => {
      if (metrics.length > 0) {
        this.sql.serialize('metrics');
        this.sql.insertMany('metrics', ['run_id', 'step', 'epoch', 'key', 'value', 'wall_time'], metrics.map((m) => [runId, m.step, m.epoch, m.key, Number.isNaN(m.value) ? null : m.value, m.wallTime]));
        this.upsertSummaries(runId, metrics);
      }
      this.sql.insertMany('events', ['run_id', 'step', 'type', 'message', 'data', 'time'], eventRows);
      // a run marked crashed that still writes was alive after all
      this.sql.run(`UPDATE runs SET heartbeat = ?, status = CASE WHEN status = 'crashed' THEN 'running' ELSE status END, ended = CASE WHEN status = 'crashed' THEN NULL ELSE ended END WHERE id = ?`, [heartbeat, runId]);
    });
  }

  /**
   * Folds a batch of one run's points into metric_summary (within write's transaction): one row per
   * key, merged with the stored one by a single upsert (the later step wins `last`; a tie goes to the
   * batch, written after the stored points; NULLs, logged NaNs, are left out of min and max).
   */
  private upsertSummaries(runId: string, metrics: readonly MetricRow[]): void {
    const byKey = new Map<string, { points: number; lastStep: number; last: number | null; min: number | null; max: number | null }>();
    for (const m of metrics) {
      const v = Number.isNaN(m.value) ? null : m.value;
      const s = byKey.get(m.key);
      if (s === undefined) {
        byKey.set(m.key, { points: 1, lastStep: m.step, last: v, min: v, max: v });
        continue;
      }
      s.points++;
      if (m.step >= s.lastStep) { s.lastStep = m.step; s.last = v; }
      if (v !== null) {
        if (s.min === null || v < s.min) s.min = v;
        if (s.max === null || v > s.max) s.max = v;
      }
    }
    const rows = [...byKey].map(([key, s]): SqlValue[] => [runId, key, s.points, s.lastStep, s.last, s.min, s.max]);
    for (let i = 0; i < rows.length; i += SUMMARY_CHUNK) {
      const chunk = rows.slice(i, i + SUMMARY_CHUNK);
      this.sql.run(`${SUMMARY_UPSERT_HEAD} ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')} ${SUMMARY_UPSERT_TAIL}`, chunk.flat());
    }
  }

  /** Recomputes a run's metric_summary rows from its points (after points were deleted). */
  private rebuildSummaries(runId: string): void {
    this.sql.run('DELETE FROM metric_summary WHERE run_id = ?', [runId]);
    this.sql.run(`INSERT INTO metric_summary (run_id, key, points, last_step, last_value, min_value, max_value)
      SELECT m.run_id, m.key, count(*), max(m.step),
             (SELECT l.value FROM metrics l WHERE l.run_id = m.run_id AND l.key = m.key ORDER BY l.step DESC, l.rowid DESC LIMIT 1),
             min(m.value), max(m.value)
      FROM metrics m WHERE m.run_id = ? GROUP BY m.run_id, m.key`, [runId]);
  }

  addArtifact(runId: string, a: ArtifactRow): void {
    this.check();
    this.sql.transaction(() => this.sql.run(`INSERT INTO artifacts (run_id, name, path, kind, bytes, sha256, created) VALUES (?, ?, ?, ?, ?, ?, ?)`, [runId, a.name, a.path, a.kind, a.bytes, a.sha256, a.created]));
  }

  /**
   * Takes a run up again (a training resumed from its checkpoint at `afterStep`): status running,
   * this process and host, no end; metrics and events logged after that step are dropped, since the
   * resumed run logs them again.
   */
  resumeRun(id: string, afterStep: number): void {
    this.check();
    const changes = this.sql.transaction(() => {
      const n = this.sql.run('UPDATE runs SET status = ?, ended = NULL, pid = ?, host = ?, heartbeat = ? WHERE id = ?', ['running', process.pid, hostname(), nowSeconds(), id]).changes;
      this.sql.run('DELETE FROM metrics WHERE run_id = ? AND step > ?', [id, afterStep]);
      this.sql.run('DELETE FROM events WHERE run_id = ? AND step > ?', [id, afterStep]);
      this.rebuildSummaries(id);
      return n;
    });
    if (changes === 0) throw new Error(`no run with id '${id}' in ${this.path} to resume`);
  }

  /** Sets a run's status, end time or summary (the summary replaces the stored one). */
  updateRun(id: string, patch: { status?: RunStatus; ended?: number | null; summary?: Record<string, unknown>; heartbeat?: number }): void {
    this.check();
    const sets: string[] = [];
    const args: SqlValue[] = [];
    if (patch.status !== undefined) { sets.push('status = ?'); args.push(patch.status); }
    if (patch.ended !== undefined) { sets.push('ended = ?'); args.push(patch.ended); }
    if (patch.summary !== undefined) { sets.push('summary = ?'); args.push(json(patch.summary, 'summary')); }
    if (patch.heartbeat !== undefined) { sets.push('heartbeat = ?'); args.push(patch.heartbeat); }
    if (sets.length === 0) return;
    const changes = this.sql.transaction(() => this.sql.run(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`, [...args, id]).changes);
    if (changes === 0) throw new Error(`no run with id '${id}' in ${this.path}`);
  }

  getRun(id: string): RunInfo | undefined {
    this.check();
    const row = this.sql.get<RunRowRaw>(`SELECT * FROM runs WHERE id = ?`, [id]);
    return row === undefined ? undefined : toRunInfo(row);
  }

  listRuns(opts: ListRunsOptions = {}): RunInfo[] {
    this.check();
    const d = DIALECTS[this.sql.dialect];
    const where: string[] = [];
    const args: SqlValue[] = [];
    const f = opts.filter ?? {};
    if (f.project !== undefined) { where.push('r.project = ?'); args.push(f.project); }
    if (f.status !== undefined) {
      const list = typeof f.status === 'string' ? [f.status] : [...f.status];
      where.push(`r.status IN (${list.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...list);
    }
    for (const tag of f.tags ?? []) { where.push(d.hasTag('r.tags')); args.push(tag); }
    if (f.name !== undefined) { where.push(`r.name ${d.like}`); args.push(f.name); }
    if (f.since !== undefined) { where.push('r.started >= ?'); args.push(f.since); }
    for (const [path, value] of Object.entries(f.config ?? {})) {
      const p = d.jsonPath('r.config', path.split('.'));
      if (value === null) { where.push(d.jsonIsNull(p.sql)); args.push(...p.params); }
      else { where.push(`${p.sql} = ${d.jsonEq}`); args.push(...p.params, d.jsonParam(value)); }
    }
    let select = 'r.*';
    let order = 'r.started DESC, r.rowid DESC';
    const sortArgs: string[] = [];
    if (opts.orderBy !== undefined) {
      const { metric, reduce = 'last', direction = 'desc' } = opts.orderBy;
      if (typeof metric !== 'string' || metric === '') throw new TypeError('listRuns: orderBy.metric must be a metric key');
      if (!['last', 'min', 'max'].includes(reduce)) throw new TypeError(`listRuns: orderBy.reduce must be 'last', 'min' or 'max' (got ${String(reduce)})`);
      if (direction !== 'asc' && direction !== 'desc') throw new TypeError(`listRuns: orderBy.direction must be 'asc' or 'desc' (got ${String(direction)})`);
      // one primary-key lookup per run in metric_summary (kept by write), not a scan of the points
      const sub = `SELECT s.${reduce}_value FROM metric_summary s WHERE s.run_id = r.id AND s.key = ?`;
      select = `r.*, (${sub}) AS sort_value`;
      sortArgs.push(metric);
      order = `r.sort_value IS NULL, r.sort_value ${direction.toUpperCase()}, r.started DESC`;
    }
    let sql = `SELECT ${select} FROM runs r${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    // PostgreSQL orders by an output column only by its bare name: sort on the sort value from outside
    sql = opts.orderBy === undefined ? `${sql} ORDER BY ${order}` : `SELECT * FROM (${sql}) r ORDER BY ${order}`;
    if (opts.limit !== undefined) {
      if (!Number.isSafeInteger(opts.limit) || opts.limit < 0) throw new TypeError(`listRuns: limit must be a non-negative integer (got ${opts.limit})`);
      sql += ` LIMIT ${opts.limit}`;
    }
    return this.sql.all<RunRowRaw>(sql, [...sortArgs, ...args]).map(toRunInfo);
  }

  /** One metric's history, by step (NULL values, logged NaNs, come back as NaN). */
  metrics(runId: string, key: string): MetricRow[] {
    this.check();
    const rows = this.sql.all<Omit<MetricRow, 'value'> & { value: number | null }>(`SELECT step, epoch, key, value, wall_time AS "wallTime" FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, rowid`, [runId, key]);
    return rows.map((r) => ({ ...r, value: r.value ?? Number.NaN }));
  }

  /** The metric keys a run logged. */
  metricKeys(runId: string): string[] {
    this.check();
    return this.sql.all<{ key: string }>(`SELECT key FROM metric_summary WHERE run_id = ? ORDER BY ${DIALECTS[this.sql.dialect].binary('key')}`, [runId]).map((r) => r.key);
  }

  /**
   * Per metric key of a run: the number of points, the last step and value, the min and max (NaN:
   * the last value was a NaN, or every value was), read from metric_summary; sorted by key.
   */
  metricSummaries(runId: string): MetricSummary[] {
    this.check();
    const rows = this.sql.all<{ key: string; points: number; last_step: number; last_value: number | null; min_value: number | null; max_value: number | null }>(
      `SELECT key, points, last_step, last_value, min_value, max_value FROM metric_summary WHERE run_id = ? ORDER BY ${DIALECTS[this.sql.dialect].binary('key')}`, [runId]);
    return rows.map((r) => ({ key: r.key, points: Number(r.points), lastStep: Number(r.last_step), last: r.last_value ?? NaN, min: r.min_value ?? NaN, max: r.max_value ?? NaN }));
  }

  /** The metric keys logged by the runs of a project (or of all runs), sorted. */
  projectMetricKeys(project?: string): string[] {
    this.check();
    const rows = this.sql.all<{ key: string }>(project
      ? 'SELECT DISTINCT s.key FROM metric_summary s JOIN runs r ON r.id = s.run_id WHERE r.project = ?'
      : 'SELECT DISTINCT key FROM metric_summary', project ? [project] : []);
    return rows.map((r) => r.key).sort();
  }

  events(runId: string): EventRow[] {
    this.check();
    const rows = this.sql.all<Omit<EventRow, 'data'> & { data: string | null }>(`SELECT step, type, message, data, time FROM events WHERE run_id = ? ORDER BY time, rowid`, [runId]);
    return rows.map((r) => ({ ...r, data: parse<unknown>(r.data, null) }));
  }

  artifacts(runId: string): ArtifactRow[] {
    this.check();
    return this.sql.all<ArtifactRow>(`SELECT name, path, kind, bytes, sha256, created FROM artifacts WHERE run_id = ? ORDER BY created, rowid`, [runId]);
  }

  /** The highest metric rowid (0: none): where a live feed starts. */
  lastMetricRowid(): number {
    this.check();
    return this.sql.get<{ m: number | null }>('SELECT MAX(rowid) AS m FROM metrics')?.m ?? 0;
  }

  /** The first rowid of a metric written at or after `since` (rowids follow write order; a binary search on wall_time). */
  firstMetricRowidSince(since: number): number {
    this.check();
    const bounds = this.sql.get<{ lo: number | null; hi: number | null }>('SELECT MIN(rowid) AS lo, MAX(rowid) AS hi FROM metrics');
    if (bounds === undefined || bounds.lo === null || bounds.hi === null) return 1;
    let lo = bounds.lo;
    let hi = bounds.hi + 1; // the answer is in [lo, hi]
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = this.sql.get<{ id: number; t: number }>('SELECT rowid AS id, wall_time AS t FROM metrics WHERE rowid >= ? ORDER BY rowid LIMIT 1', [mid]);
      if (row === undefined || row.t >= since) hi = mid;
      else lo = row.id + 1;
    }
    return lo;
  }

  /** The metric points after a rowid, in rowid order (at most `limit`). */
  metricsAfterRowid(rowid: number, limit: number): LiveMetricRow[] {
    this.check();
    return this.sql.all<LiveMetricRow>(`SELECT rowid AS id, run_id AS run, step, key, value FROM metrics WHERE rowid > ? ORDER BY rowid LIMIT ${Math.max(0, Math.floor(limit))}`, [rowid]);
  }

  /** Every run's status and times (what the live feed compares between ticks). */
  runStates(): RunState[] {
    this.check();
    return this.sql.all<RunState>('SELECT id, name, project, status, started, ended, heartbeat FROM runs');
  }

  /**
   * Marks as 'crashed' the runs still 'running' whose process is gone: on this host, the pid no
   * longer exists; on any host, the heartbeat (set by every flush) is older than the timeout. The
   * end time becomes the last heartbeat. Returns the ids marked.
   */
  markCrashed(opts: MarkCrashedOptions = {}): string[] {
    this.check();
    const now = opts.now ?? nowSeconds();
    const stale = now - (opts.heartbeatTimeoutMs ?? 10 * 60_000) / 1000;
    const host = hostname();
    return this.sql.transaction(() => {
      const running = this.sql.all<{ id: string; pid: number | null; host: string | null; heartbeat: number | null; started: number }>(`SELECT id, pid, host, heartbeat, started FROM runs WHERE status = 'running'`);
      const crashed = running.filter((r) => (r.host === host && r.pid !== null && !pidAlive(r.pid)) || (r.heartbeat ?? r.started) < stale);
      // 'AND status' and the heartbeat check: a run that wrote (or finished) since the SELECT is left alone
      const marked: string[] = [];
      for (const r of crashed) {
        const n = this.sql.run(`UPDATE runs SET status = 'crashed', ended = coalesce(heartbeat, started) WHERE id = ? AND status = 'running' AND coalesce(heartbeat, started) = ?`, [r.id, r.heartbeat ?? r.started]).changes;
        if (n > 0) marked.push(r.id);
      }
      return marked;
    });
  }

  /** Deletes a run with its metrics, events and artifact records (not the artifact files). */
  deleteRun(id: string): boolean {
    this.check();
    return this.sql.transaction(() => this.sql.run('DELETE FROM runs WHERE id = ?', [id]).changes > 0);
  }

  /**
   * SQLite: PRAGMA integrity_check ('ok', or SQLite's list of problems). PostgreSQL, which keeps its
   * own pages consistent: 'ok' unless a metric, event or artifact row has no run.
   */
  integrityCheck(): string {
    this.check();
    if (this.sql instanceof SqliteDriver) return (this.sql.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n');
    const problems: string[] = [];
    for (const table of ['metrics', 'events', 'artifacts']) {
      const n = this.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} t WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id)`)?.n ?? 0;
      if (n > 0) problems.push(`${table}: ${n} rows without their run`);
    }
    return problems.length === 0 ? 'ok' : problems.join('\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sql.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }
}

function toRunInfo(r: RunRowRaw): RunInfo {
  const info: RunInfo = {
    id: r.id,
    name: r.name,
    project: r.project,
    status: r.status as RunStatus,
    config: parse<Record<string, unknown>>(r.config, {}),
    seed: r.seed,
    git: { commit: r.git_commit, dirty: r.git_dirty === null ? null : r.git_dirty !== 0 },
    environment: parse<unknown>(r.environment, null),
    data: parse<unknown>(r.data, null),
    tags: parse<string[]>(r.tags, []),
    started: r.started,
    ended: r.ended,
    pid: r.pid,
    host: r.host,
    heartbeat: r.heartbeat,
    summary: parse<Record<string, unknown>>(r.summary, {}),
  };
  if (r.sort_value !== undefined) info.sortValue = r.sort_value;
  return info;
}
