// The worker thread behind the PostgreSQL run store: it holds the `pg` connections of this process
// (one per open RunStore, by handle) and answers one request at a time, while the main thread blocks
// on it (synckit: Atomics.wait on a SharedArrayBuffer). Failures come back as values ({ error }),
// with pg's SQLSTATE or Node's errno code, rather than as thrown errors, so that nothing is lost in
// the transfer between threads.

import { createRequire } from 'node:module';
import { runAsWorker } from 'synckit';
import type { Client, ClientConfig } from 'pg';

export type PgRequest =
  | { op: 'connect'; config: PgConnectConfig }
  | { op: 'query'; handle: number; sql: string; params: readonly (string | number | null)[] }
  | { op: 'close'; handle: number };

export interface PgConnectConfig {
  connectionString: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  lockTimeoutMs: number;
  readonly: boolean;
}

export interface PgFailure { message: string; code?: string; detail?: string; hint?: string; phase: 'connect' | 'query' | 'closed' }

export type PgResponse =
  | { ok: true; handle?: number; rows?: Record<string, unknown>[]; rowCount?: number }
  | { ok: false; error: PgFailure };

const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
// BIGINT (int8, oid 20; also count(*)) as a JS number: the store only keeps safe integers in them
const INT8 = 20;
const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as never };

const clients = new Map<number, { client: Client; broken: string | null }>();
let nextHandle = 1;

function failure(e: unknown, phase: PgFailure['phase']): PgResponse {
  const x = e as { message?: string; code?: unknown; detail?: unknown; hint?: unknown };
  const error: PgFailure = { message: String(x?.message ?? e), phase };
  if (typeof x?.code === 'string') error.code = x.code;
  if (typeof x?.detail === 'string') error.detail = x.detail;
  if (typeof x?.hint === 'string') error.hint = x.hint;
  return { ok: false, error };
}

async function handle(req: PgRequest): Promise<PgResponse> {
  if (req.op === 'connect') {
    const c = req.config;
    const config: ClientConfig = {
      connectionString: c.connectionString,
      connectionTimeoutMillis: c.connectTimeoutMs,
      query_timeout: c.queryTimeoutMs,
      lock_timeout: c.lockTimeoutMs,
      application_name: 'sous',
      keepAlive: true,
      types,
    };
    const client = new pg.Client(config);
    const entry = { client, broken: null as string | null };
    // a connection the server drops while idle: remembered, reported on the next query (no crash)
    client.on('error', (e) => { entry.broken = e.message; });
    try {
      await client.connect();
      // after connecting rather than as a startup option, which the URL's own ?options= would replace
      if (c.readonly) await client.query('SET default_transaction_read_only = on');
    } catch (e) {
      client.end().catch(() => {});
      return failure(e, 'connect');
    }
    const h = nextHandle++;
    clients.set(h, entry);
    return { ok: true, handle: h };
  }
  const entry = clients.get(req.handle);
  if (req.op === 'close') {
    clients.delete(req.handle);
    if (entry !== undefined) await entry.client.end().catch(() => {});
    return { ok: true };
  }
  if (entry === undefined) return { ok: false, error: { message: 'the connection is closed', phase: 'closed' } };
  if (entry.broken !== null) return { ok: false, error: { message: `the connection to the server was lost (${entry.broken})`, code: '08006', phase: 'query' } };
  try {
    const res = await entry.client.query({ text: req.sql, values: req.params as unknown[] });
    // a multi-statement exec returns one result per statement
    const last = Array.isArray(res) ? (res[res.length - 1] as typeof res[number] | undefined) : res;
    return { ok: true, rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
  } catch (e) {
    return failure(e, 'query');
  }
}

runAsWorker(handle);
