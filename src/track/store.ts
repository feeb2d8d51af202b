// The run store: one SQLite file (default .sous/runs.db) holding runs, their metrics, events and
// artifacts, written by any number of processes at once. WAL mode lets readers go on while a writer
// commits; busy_timeout makes a writer wait for the lock instead of failing with SQLITE_BUSY; every
// write is one BEGIN IMMEDIATE transaction (taking the write lock up front, where the busy handler
// applies, rather than upgrading a read lock, where SQLite returns SQLITE_BUSY at once).
//
// better-sqlite3 is loaded on first open, so importing Sous works where the addon is not built.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import type { RunStatus } from '../train/run-folder.js';
import { migrate, SCHEMA_VERSION } from './schema.js';

export type { RunStatus };

export interface RunStoreOptions {
  /** how long a writer waits for another's lock before SQLITE_BUSY (default 5000 ms) */
  busyTimeoutMs?: number;
  /** open an existing file read-only (no migration; the schema must be current) */
  readonly?: boolean;
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

interface RunRowRaw {
  id: string; name: string; project: string; status: string; config: string; seed: number | null;
  git_commit: string | null; git_dirty: number | null; environment: string | null; data: string | null;
  tags: string; started: number; ended: number | null; pid: number | null; host: string | null;
  heartbeat: number | null; summary: string; sort_value?: number | null;
}

type DatabaseConstructor = new (file: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => Database;
let BetterSqlite3: DatabaseConstructor | undefined;
function loadDriver(): DatabaseConstructor {
  if (BetterSqlite3 === undefined) {
    try {
      BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
    } catch (e) {
      throw new Error(`the run store needs the better-sqlite3 package, which did not load (${(e as Error).message.split('\n')[0]}): run \`npm ci\` (it builds from source with node-gyp when no prebuilt binary can be downloaded; on Debian set npm_config_nodedir=/usr)`);
    }
  }
  return BetterSqlite3;
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
  readonly path: string;
  readonly schemaVersion: number;
  private readonly conn: Database;
  private readonly st: {
    insertRun: Statement; insertMetric: Statement; insertEvent: Statement; insertArtifact: Statement;
    heartbeat: Statement; getRun: Statement; metrics: Statement; events: Statement; artifacts: Statement;
  };
  private closed = false;

  private constructor(path: string, conn: Database, version: number) {
    this.path = path;
    this.conn = conn;
    this.schemaVersion = version;
    this.st = {
      insertRun: conn.prepare(`INSERT INTO runs (id, name, project, status, config, seed, git_commit, git_dirty, environment, data, tags, started, pid, host, heartbeat)
        VALUES (@id, @name, @project, @status, @config, @seed, @git_commit, @git_dirty, @environment, @data, @tags, @started, @pid, @host, @started)`),
      insertMetric: conn.prepare(`INSERT INTO metrics (run_id, step, epoch, key, value, wall_time) VALUES (?, ?, ?, ?, ?, ?)`),
      insertEvent: conn.prepare(`INSERT INTO events (run_id, step, type, message, data, time) VALUES (?, ?, ?, ?, ?, ?)`),
      insertArtifact: conn.prepare(`INSERT INTO artifacts (run_id, name, path, kind, bytes, sha256, created) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      // a run marked crashed that still writes was alive after all
      heartbeat: conn.prepare(`UPDATE runs SET heartbeat = ?, status = CASE WHEN status = 'crashed' THEN 'running' ELSE status END, ended = CASE WHEN status = 'crashed' THEN NULL ELSE ended END WHERE id = ?`),
      getRun: conn.prepare(`SELECT * FROM runs WHERE id = ?`),
      metrics: conn.prepare(`SELECT step, epoch, key, value, wall_time AS wallTime FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, rowid`),
      events: conn.prepare(`SELECT step, type, message, data, time FROM events WHERE run_id = ? ORDER BY time, rowid`),
      artifacts: conn.prepare(`SELECT name, path, kind, bytes, sha256, created FROM artifacts WHERE run_id = ? ORDER BY created, rowid`),
    };
  }

  /** Opens (creating it and its folder if needed) the store at `path`, migrating it to the current schema. */
  static open(path = '.sous/runs.db', opts: RunStoreOptions = {}): RunStore {
    const Driver = loadDriver();
    const memory = path === ':memory:';
    const file = memory ? path : resolve(path);
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
      let version: number;
      if (opts.readonly) {
        const row = conn.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
        version = Number(row?.value ?? 0);
        if (version !== SCHEMA_VERSION) throw new Error(`${file} has run-store schema version ${version}, this Sous reads ${SCHEMA_VERSION}: open it read-write once to migrate`);
      } else {
        version = migrate(conn, file);
      }
      return new RunStore(file, conn, version);
    } catch (e) {
      conn.close();
      throw e;
    }
  }

  /** The better-sqlite3 connection, for queries this class does not offer. */
  get db(): Database {
    this.check();
    return this.conn;
  }

  private check(): void {
    if (this.closed) throw new Error(`the run store ${this.path} is closed`);
  }

  createRun(run: NewRun): void {
    this.check();
    const started = run.started ?? nowSeconds();
    try {
      this.conn.transaction(() => this.st.insertRun.run({
        id: run.id,
        name: run.name,
        project: run.project,
        status: run.status ?? 'running',
        config: json(run.config ?? {}, 'config'),
        seed: run.seed ?? null,
        git_commit: run.git?.commit ?? null,
        git_dirty: run.git?.dirty === undefined || run.git.dirty === null ? null : run.git.dirty ? 1 : 0,
        environment: run.environment === undefined ? null : json(run.environment, 'environment'),
        data: run.data === undefined ? null : json(run.data, 'data'),
        tags: json(run.tags ?? [], 'tags'),
        started,
        pid: run.pid === undefined ? process.pid : run.pid,
        host: run.host === undefined ? hostname() : run.host,
      })).immediate();
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new Error(`a run with id '${run.id}' is already in ${this.path}`);
      throw e;
    }
  }

  /**
   * Writes a batch of one run's metrics and events and sets its heartbeat, in one transaction.
   * The rows are assumed valid (Run.log checks them).
   */
  write(runId: string, metrics: readonly MetricRow[], events: readonly EventRow[] = [], heartbeat = nowSeconds()): void {
    this.check();
    this.conn.transaction(() => {
      for (const m of metrics) this.st.insertMetric.run(runId, m.step, m.epoch, m.key, Number.isNaN(m.value) ? null : m.value, m.wallTime);
      for (const e of events) this.st.insertEvent.run(runId, e.step, e.type, e.message, e.data === undefined ? null : json(e.data, `event '${e.type}' data`), e.time);
      this.st.heartbeat.run(heartbeat, runId);
    }).immediate();
  }

  addArtifact(runId: string, a: ArtifactRow): void {
    this.check();
    this.conn.transaction(() => this.st.insertArtifact.run(runId, a.name, a.path, a.kind, a.bytes, a.sha256, a.created)).immediate();
  }

  /** Sets a run's status, end time or summary (the summary replaces the stored one). */
  /**
   * Takes a run up again (a training resumed from its checkpoint at `afterStep`): status running,
   * this process and host, no end; metrics and events logged after that step are dropped, since the
   * resumed run logs them again.
   */
  resumeRun(id: string, afterStep: number): void {
    this.check();
    const changes = this.conn.transaction(() => {
      const n = this.conn.prepare('UPDATE runs SET status = ?, ended = NULL, pid = ?, host = ?, heartbeat = ? WHERE id = ?').run('running', process.pid, hostname(), nowSeconds(), id).changes;
      this.conn.prepare('DELETE FROM metrics WHERE run_id = ? AND step > ?').run(id, afterStep);
      this.conn.prepare('DELETE FROM events WHERE run_id = ? AND step > ?').run(id, afterStep);
      return n;
    }).immediate();
    if (changes === 0) throw new Error(`no run with id '${id}' in ${this.path} to resume`);
  }

  updateRun(id: string, patch: { status?: RunStatus; ended?: number | null; summary?: Record<string, unknown>; heartbeat?: number }): void {
    this.check();
    const sets: string[] = [];
    const args: (string | number | null)[] = [];
    if (patch.status !== undefined) { sets.push('status = ?'); args.push(patch.status); }
    if (patch.ended !== undefined) { sets.push('ended = ?'); args.push(patch.ended); }
    if (patch.summary !== undefined) { sets.push('summary = ?'); args.push(json(patch.summary, 'summary')); }
    if (patch.heartbeat !== undefined) { sets.push('heartbeat = ?'); args.push(patch.heartbeat); }
    if (sets.length === 0) return;
    const changes = this.conn.transaction(() => this.conn.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...args, id).changes).immediate();
    if (changes === 0) throw new Error(`no run with id '${id}' in ${this.path}`);
  }

  getRun(id: string): RunInfo | undefined {
    this.check();
    const row = this.st.getRun.get(id) as RunRowRaw | undefined;
    return row === undefined ? undefined : toRunInfo(row);
  }

  listRuns(opts: ListRunsOptions = {}): RunInfo[] {
    this.check();
    const where: string[] = [];
    const args: (string | number | null)[] = [];
    const f = opts.filter ?? {};
    if (f.project !== undefined) { where.push('r.project = ?'); args.push(f.project); }
    if (f.status !== undefined) {
      const list = typeof f.status === 'string' ? [f.status] : [...f.status];
      where.push(`r.status IN (${list.map(() => '?').join(', ') || 'NULL'})`);
      args.push(...list);
    }
    for (const tag of f.tags ?? []) { where.push('EXISTS (SELECT 1 FROM json_each(r.tags) WHERE json_each.value = ?)'); args.push(tag); }
    if (f.name !== undefined) { where.push('r.name LIKE ?'); args.push(f.name); }
    if (f.since !== undefined) { where.push('r.started >= ?'); args.push(f.since); }
    for (const [path, value] of Object.entries(f.config ?? {})) {
      const p = `$.${path.split('.').map((k) => `"${k.replace(/"/g, '""')}"`).join('.')}`;
      if (value === null) { where.push('json_extract(r.config, ?) IS NULL'); args.push(p); }
      else { where.push('json_extract(r.config, ?) = ?'); args.push(p, typeof value === 'boolean' ? (value ? 1 : 0) : value); }
    }
    let select = 'r.*';
    let order = 'r.started DESC, r.rowid DESC';
    const sortArgs: string[] = [];
    if (opts.orderBy !== undefined) {
      const { metric, reduce = 'last', direction = 'desc' } = opts.orderBy;
      if (typeof metric !== 'string' || metric === '') throw new TypeError('listRuns: orderBy.metric must be a metric key');
      if (!['last', 'min', 'max'].includes(reduce)) throw new TypeError(`listRuns: orderBy.reduce must be 'last', 'min' or 'max' (got ${String(reduce)})`);
      if (direction !== 'asc' && direction !== 'desc') throw new TypeError(`listRuns: orderBy.direction must be 'asc' or 'desc' (got ${String(direction)})`);
      const sub = reduce === 'last'
        ? 'SELECT m.value FROM metrics m WHERE m.run_id = r.id AND m.key = ? ORDER BY m.step DESC, m.rowid DESC LIMIT 1'
        : `SELECT ${reduce.toUpperCase()}(m.value) FROM metrics m WHERE m.run_id = r.id AND m.key = ?`;
      select = `r.*, (${sub}) AS sort_value`;
      sortArgs.push(metric);
      order = `sort_value IS NULL, sort_value ${direction.toUpperCase()}, r.started DESC`;
    }
    let sql = `SELECT ${select} FROM runs r${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`;
    if (opts.limit !== undefined) {
      if (!Number.isSafeInteger(opts.limit) || opts.limit < 0) throw new TypeError(`listRuns: limit must be a non-negative integer (got ${opts.limit})`);
      sql += ` LIMIT ${opts.limit}`;
    }
    const rows = this.conn.prepare(sql).all(...sortArgs, ...args) as RunRowRaw[];
    return rows.map(toRunInfo);
  }

  /** One metric's history, by step (NULL values, logged NaNs, come back as NaN). */
  metrics(runId: string, key: string): MetricRow[] {
    this.check();
    const rows = this.st.metrics.all(runId, key) as (Omit<MetricRow, 'value'> & { value: number | null })[];
    return rows.map((r) => ({ ...r, value: r.value ?? Number.NaN }));
  }

  /** The metric keys a run logged. */
  metricKeys(runId: string): string[] {
    this.check();
    return (this.conn.prepare('SELECT DISTINCT key FROM metrics WHERE run_id = ? ORDER BY key').all(runId) as { key: string }[]).map((r) => r.key);
  }

  events(runId: string): EventRow[] {
    this.check();
    const rows = this.st.events.all(runId) as (Omit<EventRow, 'data'> & { data: string | null })[];
    return rows.map((r) => ({ ...r, data: parse<unknown>(r.data, null) }));
  }

  artifacts(runId: string): ArtifactRow[] {
    this.check();
    return this.st.artifacts.all(runId) as ArtifactRow[];
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
    return this.conn.transaction(() => {
      const running = this.conn.prepare(`SELECT id, pid, host, heartbeat, started FROM runs WHERE status = 'running'`).all() as { id: string; pid: number | null; host: string | null; heartbeat: number | null; started: number }[];
      const crashed = running.filter((r) => (r.host === host && r.pid !== null && !pidAlive(r.pid)) || (r.heartbeat ?? r.started) < stale);
      const mark = this.conn.prepare(`UPDATE runs SET status = 'crashed', ended = coalesce(heartbeat, started) WHERE id = ? AND status = 'running'`);
      for (const r of crashed) mark.run(r.id);
      return crashed.map((r) => r.id);
    }).immediate();
  }

  /** Deletes a run with its metrics, events and artifact records (not the artifact files). */
  deleteRun(id: string): boolean {
    this.check();
    return this.conn.transaction(() => this.conn.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0).immediate();
  }

  /** PRAGMA integrity_check: 'ok', or SQLite's list of problems. */
  integrityCheck(): string {
    this.check();
    return (this.conn.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.close();
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
