// The run store's SQL driver: the few synchronous calls the store makes (exec, run, get, all,
// insertMany, transaction), with one implementation per backend, so that the schema and the queries
// are written once. Queries use `?` placeholders (the PostgreSQL driver numbers them $1, $2...), and
// the column `rowid` (SQLite's implicit one; an identity column of that name on PostgreSQL). What
// differs between the dialects beyond that is in DIALECTS: the column types of the schema, the JSON
// functions of listRuns' filters, case-insensitive LIKE, binary ordering of keys, and the unique
// violation's error code.
//
// better-sqlite3 is loaded on first open, so importing Sous works where the addon is not built.

import { createRequire } from 'node:module';
import type { Database, Statement } from 'better-sqlite3';

export type SqlValue = string | number | null;
export type DialectName = 'sqlite' | 'postgres';

/** A synchronous connection to the store's database; SQL uses `?` placeholders. */
export interface SqlDriver {
  readonly dialect: DialectName;
  /** one or more statements without parameters (DDL) */
  exec(sql: string): void;
  /** a statement; `changes` is the number of rows it inserted, updated or deleted */
  run(sql: string, params?: readonly SqlValue[]): { changes: number };
  get<T>(sql: string, params?: readonly SqlValue[]): T | undefined;
  all<T>(sql: string, params?: readonly SqlValue[]): T[];
  /** rows into one table (SQLite: one prepared INSERT per row; PostgreSQL: multi-row INSERTs) */
  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): void;
  /**
   * Runs `fn` in one write transaction: committed when it returns, rolled back when it throws. SQLite
   * takes the write lock up front (BEGIN IMMEDIATE); PostgreSQL runs READ COMMITTED. A transaction
   * inside another joins it.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Within a transaction, waits for the other transactions holding the same lock to end (SQLite: a
   * no-op, BEGIN IMMEDIATE already serializes writers; PostgreSQL: pg_advisory_xact_lock).
   * 'schema': migrations; 'metrics': metric inserts, so that rowids are committed in order.
   */
  serialize(what: 'schema' | 'metrics'): void;
  /** whether `e` is a duplicate primary key */
  isUniqueViolation(e: unknown): boolean;
  close(): void;
}

export interface Dialect {
  /** schema column types: a double, a 64-bit integer, and the rowid column (with its comma) */
  real: string;
  int: string;
  rowid: string;
  /** tags (a JSON array of strings) holding the parameter */
  hasTag(column: string): string;
  /** the config value at a dotted path (one parameter per key); compare with `= ?` */
  jsonPath(column: string, keys: readonly string[]): { sql: string; params: string[] };
  /** a config filter's value as its parameter */
  jsonParam(value: string | number | boolean): SqlValue;
  /** the right-hand side of jsonPath(...) = ? */
  jsonEq: string;
  /** the value at the path is missing or JSON null */
  jsonIsNull(pathSql: string): string;
  /** a case-insensitive LIKE with no escape character (SQLite's LIKE) */
  like: string;
  /** orders text by its bytes (SQLite's BINARY collation) */
  binary(expr: string): string;
}

export const DIALECTS: Record<DialectName, Dialect> = {
  sqlite: {
    real: 'REAL',
    int: 'INTEGER',
    rowid: '', // every table has its rowid
    hasTag: (column) => `EXISTS (SELECT 1 FROM json_each(${column}) WHERE json_each.value = ?)`,
    jsonPath: (column, keys) => ({ sql: `json_extract(${column}, ?)`, params: [`$.${keys.map((k) => `"${k.replace(/"/g, '""')}"`).join('.')}`] }),
    jsonParam: (value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value),
    jsonEq: '?',
    jsonIsNull: (path) => `${path} IS NULL`,
    like: 'LIKE ?',
    binary: (expr) => expr,
  },
  postgres: {
    real: 'DOUBLE PRECISION',
    int: 'BIGINT',
    rowid: 'rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,',
    hasTag: (column) => `jsonb_exists(${column}::jsonb, ?::text)`,
    jsonPath: (column, keys) => ({ sql: `jsonb_extract_path(${column}::jsonb${keys.map(() => ', ?::text').join('')})`, params: [...keys] }),
    jsonParam: (value) => JSON.stringify(value),
    jsonEq: '?::jsonb',
    jsonIsNull: (path) => `coalesce(${path}, 'null'::jsonb) = 'null'::jsonb`,
    like: `ILIKE ? ESCAPE ''`,
    binary: (expr) => `${expr} COLLATE "C"`,
  },
};

/** A migration's SQL for a dialect: {real}, {int} and {rowid} become its column types. */
export function renderDdl(sql: string, dialect: DialectName): string {
  const d = DIALECTS[dialect];
  return sql.replace(/\{(real|int|rowid)\}/g, (_, k: 'real' | 'int' | 'rowid') => d[k]);
}

type DatabaseConstructor = new (file: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => Database;
let BetterSqlite3: DatabaseConstructor | undefined;
export function loadSqlite(): DatabaseConstructor {
  if (BetterSqlite3 === undefined) {
    try {
      BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
    } catch (e) {
      throw new Error(`the run store needs the better-sqlite3 package, which did not load (${(e as Error).message.split('\n')[0]}): run \`npm ci\` (it builds from source with node-gyp when no prebuilt binary can be downloaded; on Debian set npm_config_nodedir=/usr)`);
    }
  }
  return BetterSqlite3;
}

/** better-sqlite3 behind SqlDriver; statements are prepared once per SQL text. */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly cache = new Map<string, Statement>();
  private depth = 0;

  constructor(readonly db: Database) {}

  private prepare(sql: string): Statement {
    let st = this.cache.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      if (this.cache.size > 200) this.cache.clear(); // listRuns builds its SQL per filter
      this.cache.set(sql, st);
    }
    return st;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  run(sql: string, params: readonly SqlValue[] = []): { changes: number } {
    return { changes: this.prepare(sql).run(...params).changes };
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): void {
    if (rows.length === 0) return;
    const st = this.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    for (const row of rows) st.run(...row);
  }

  transaction<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.depth++;
    try {
      return this.db.transaction(fn).immediate();
    } finally {
      this.depth--;
    }
  }

  serialize(): void {
    // BEGIN IMMEDIATE holds the file's only write lock
  }

  isUniqueViolation(e: unknown): boolean {
    const code = (e as { code?: unknown }).code;
    return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  }

  close(): void {
    this.cache.clear();
    this.db.close();
  }
}

/** `?` placeholders as $1, $2... (skipping quoted strings, quoted names and comments). */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out;
}
