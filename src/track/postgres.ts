// The PostgreSQL backend of the run store: SqlDriver over the `pg` package, made synchronous by
// running pg in a worker thread and blocking on it (synckit: the main thread waits with
// Atomics.wait on a SharedArrayBuffer until the worker has the answer). The store's API stays
// synchronous on both backends, so Run (and its exit hook), the board and trainRun need no async.
//
// Every connection has a connect timeout and a per-query timeout, so an unreachable server is an
// error, never a hang; the error names the URL with its password masked, and what to check.

import { createRequire } from 'node:module';
import type { PgConnectConfig, PgFailure, PgRequest, PgResponse } from './pg-worker.js';
import { numberPlaceholders, type SqlDriver, type SqlValue } from './sql.js';

/** Whether a store location is a PostgreSQL URL (postgres:// or postgresql://) rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL with its password (in the authority or as ?password=) replaced by ***. */
export function maskUrl(url: string): string {
  let out = url.replace(/^(postgres(?:ql)?:\/\/[^:@/?#]*:)([^@/?#]*)@/i, (_, head: string, pw: string) => (pw === '' ? `${head}@` : `${head}***@`));
  out = out.replace(/([?&]password=)[^&#]*/gi, '$1***');
  return out;
}

/** A PostgreSQL server that cannot be reached, or that refuses the login or the database. */
export class StoreConnectionError extends Error {
  /** pg's SQLSTATE or Node's errno code (ECONNREFUSED...), when known */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'StoreConnectionError';
    this.code = code;
  }
}

/** A query the server rejected; `code` is its SQLSTATE (23505: unique violation...). */
export class PgQueryError extends Error {
  readonly code: string | undefined;
  readonly detail: string | undefined;
  constructor(message: string, f: PgFailure) {
    super(message);
    this.name = 'PgQueryError';
    this.code = f.code;
    this.detail = f.detail;
  }
}

export interface PgOpenOptions {
  /** give up connecting after this long (default 10 000 ms) */
  connectTimeoutMs?: number;
  /** give up on one query after this long (default 60 000 ms) */
  queryTimeoutMs?: number;
  /** how long a statement waits for a lock (default 5000 ms) */
  lockTimeoutMs?: number;
  readonly?: boolean;
}

type SyncCall = (req: PgRequest) => PgResponse;
let call: SyncCall | undefined;
// the longest the main thread blocks on one request, beyond pg's own timeouts: the worker is stuck
const BACKSTOP_MS = 10 * 60_000;

function worker(): SyncCall {
  if (call === undefined) {
    const require = createRequire(import.meta.url);
    let synckit: typeof import('synckit');
    try {
      require.resolve('pg');
      synckit = require('synckit') as typeof import('synckit');
    } catch (e) {
      throw new Error(`a PostgreSQL run store needs the pg and synckit packages, which did not load (${(e as Error).message.split('\n')[0]}): run \`npm ci\``);
    }
    call = synckit.createSyncFn<(req: PgRequest) => Promise<PgResponse>>(new URL('./pg-worker.js', import.meta.url), { timeout: BACKSTOP_MS });
  }
  return call;
}

/** What to check, by the failure's code. */
function connectHint(f: PgFailure, url: URL | undefined): string {
  const where = url === undefined ? 'the server' : `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  const host = url?.hostname || 'localhost';
  const port = url?.port || '5432';
  const user = url !== undefined && url.username !== '' ? decodeURIComponent(url.username) : 'the user';
  const db = url !== undefined && url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : 'the database';
  switch (f.code) {
    case 'ECONNREFUSED': return `nothing listens at ${where}: is the PostgreSQL server running, on that host and port? (check with \`pg_isready -h ${host} -p ${port}\`)`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `the host name ${host} does not resolve: check the URL's host`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return `${host} cannot be reached from this machine: check the host, the network and any firewall`;
    case '28P01': case '28000': return `the server refused the login of ${user}: check the user name and password in the URL (or PGPASSWORD / ~/.pgpass), and the server's pg_hba.conf`;
    case '3D000': return `the database ${db} does not exist: create it (\`createdb -h ${host} -p ${port} ${db}\`), or name another in the URL`;
    case '42501': return `${user} lacks a privilege the store needs (creating its tables in the schema, or writing them): grant it, or open the store read-only`;
    case '53300': return 'the server has too many connections: close some, or raise max_connections';
    default:
      if (/timeout|timed out/i.test(f.message)) return `no answer from ${where} within the connect timeout: check the host and port, that the server runs, and any firewall dropping packets`;
      return `check that the server runs at ${where} and that the URL's user, password and database are right`;
  }
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** pg behind SqlDriver, through the worker thread. */
export class PgDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  /** the URL with its password masked */
  readonly where: string;
  private handle: number | undefined;
  private depth = 0;

  private constructor(where: string, handle: number) {
    this.where = where;
    this.handle = handle;
  }

  static connect(url: string, opts: PgOpenOptions = {}): PgDriver {
    const where = maskUrl(url);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      throw new StoreConnectionError(`the PostgreSQL run store URL ${where} is not a valid URL: write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
    }
    const config: PgConnectConfig = {
      connectionString: url,
      connectTimeoutMs: Math.max(1, Math.floor(opts.connectTimeoutMs ?? 10_000)),
      queryTimeoutMs: Math.max(1, Math.floor(opts.queryTimeoutMs ?? 60_000)),
      lockTimeoutMs: Math.max(0, Math.floor(opts.lockTimeoutMs ?? 5000)),
      readonly: opts.readonly === true,
    };
    let res: PgResponse;
    try {
      res = worker()({ op: 'connect', config });
    } catch (e) {
      throw new StoreConnectionError(`cannot connect to the PostgreSQL run store ${where}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const f = res.error;
      // the message of a failed connection may quote the URL: mask it there too
      const msg = f.message.split(url).join(where);
      throw new StoreConnectionError(`cannot connect to the PostgreSQL run store ${where}: ${msg}${f.code !== undefined && !msg.includes(f.code) ? ` (${f.code})` : ''}. ${capitalize(connectHint(f, parsed))}`, f.code);
    }
    return new PgDriver(where, res.handle!);
  }

  private query(sql: string, params: readonly SqlValue[]): { rows: Record<string, unknown>[]; rowCount: number } {
    if (this.handle === undefined) throw new Error(`the run store ${this.where} is closed`);
    const res = worker()({ op: 'query', handle: this.handle, sql, params: params.map((p) => (typeof p === 'number' && !Number.isFinite(p) ? (Number.isNaN(p) ? 'NaN' : p > 0 ? 'Infinity' : '-Infinity') : p)) });
    if (!res.ok) {
      const f = res.error;
      if (f.code === '25006') throw new PgQueryError(`the run store ${this.where} is open readonly: ${f.message}`, f);
      if (f.code?.startsWith('08') || /Connection terminated|connection.*lost|timeout/i.test(f.message)) {
        throw new PgQueryError(`the PostgreSQL run store ${this.where}: ${f.message}; is the server still running and reachable?`, f);
      }
      throw new PgQueryError(`${f.message}${f.detail !== undefined ? ` (${f.detail})` : ''} [in: ${sql.replace(/\s+/g, ' ').trim().slice(0, 200)}]`, f);
    }
    return { rows: res.rows ?? [], rowCount: res.rowCount ?? 0 };
  }

  exec(sql: string): void {
    this.query(sql, []);
  }

  run(sql: string, params: readonly SqlValue[] = []): { changes: number } {
    return { changes: this.query(numberPlaceholders(sql), params).rowCount };
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.query(numberPlaceholders(sql), params).rows[0] as T | undefined;
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.query(numberPlaceholders(sql), params).rows as T[];
  }

  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): void {
    // at most 65 535 parameters in one statement; a few thousand rows a statement is plenty
    const per = Math.max(1, Math.min(5000, Math.floor(60_000 / columns.length)));
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      const params: SqlValue[] = [];
      const tuples = chunk.map((row) => {
        const at = params.length;
        params.push(...row);
        return `(${row.map((_, j) => `$${at + j + 1}`).join(', ')})`;
      });
      this.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
    }
  }

  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.query('BEGIN', []);
    this.depth++;
    try {
      const out = fn();
      this.query('COMMIT', []);
      return out;
    } catch (e) {
      try {
        this.query('ROLLBACK', []);
      } catch { /* the connection is gone: the server rolls back */ }
      throw e;
    } finally {
      this.depth--;
    }
  }

  serialize(what: 'schema' | 'metrics'): void {
    // two fixed advisory lock keys ('sous' in ASCII, then 1 or 2), released at commit
    this.query('SELECT pg_advisory_xact_lock($1, $2)', [0x736f7573, what === 'schema' ? 1 : 2]);
  }

  isUniqueViolation(e: unknown): boolean {
    return e instanceof PgQueryError && e.code === '23505';
  }

  close(): void {
    if (this.handle === undefined) return;
    const h = this.handle;
    this.handle = undefined;
    try {
      worker()({ op: 'close', handle: h });
    } catch { /* the worker is gone with the connection */ }
  }
}
