// `sous board`: a small web dashboard over the run store, on node:http with no dependencies.
//
// The server opens the store (a SQLite file or a postgres:// URL) read-only, after marking crashed
// runs once through a writable handle when the store is writable, serves the page from web/board (index.html, app.js, style.css: found
// from the package root, the first folder above this file holding package.json) and a JSON API under
// /api. /api/live is a Server-Sent Events stream that sends, every second, the metric points written
// since the last tick (by rowid) and the runs whose status changed, for live curves of a training run.
// Every handler is wrapped: a bad request is a 400 or 404 with {error}, never a crash.

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPostgresUrl, RunStore, StoreConnectionError, type RunState } from '../track/index.js';
import { compareApi, confusionApi, histogramsApi, HttpError, keysApi, listRunsApi, metricsApi, notFound, parseSince, runApi } from './api.js';
import { jsonValue } from './downsample.js';

export interface BoardOptions {
  /** the run store: its SQLite file, which must exist, or a postgres:// URL (default $SOUS_STORE, else .sous/runs.db) */
  store?: string;
  /** the address to listen on (default 127.0.0.1: this machine only) */
  host?: string;
  /** the port (default 6006; 0: any free port) */
  port?: number;
  /** how often /api/live polls the store, in milliseconds (default 1000) */
  liveIntervalMs?: number;
  /** where unexpected errors (500s) are reported (default: stderr) */
  log?: (message: string) => void;
}

export interface Board {
  url: string;
  port: number;
  /** the runs markCrashed() marked at start */
  crashed: string[];
  close(): Promise<void>;
}

export class BoardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoardError';
  }
}

/** The package root: the first folder above `from` that holds a package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: cannot find web/board`);
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.jsonl': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.log': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8', '.yml': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8', '.md': 'text/plain; charset=utf-8',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.webp': 'image/webp',
  '.ico': 'image/x-icon',
};
const contentType = (file: string): string => TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in the path segment '${segment.slice(0, 60)}'`);
  }
}

/** One /api/live client: what it has been sent so far. */
class LiveFeed {
  private lastRowid: number;
  private runs = new Map<string, RunState>();
  private readonly since: number | undefined;
  private first = true;

  constructor(private readonly store: RunStore, since: number | undefined) {
    this.since = since;
    this.lastRowid = since === undefined
      ? store.lastMetricRowid()
      : store.firstMetricRowidSince(since) - 1;
  }

  get cursor(): number {
    return this.lastRowid;
  }

  /** The SSE messages for what changed since the last tick ('' when nothing did). */
  tick(): string {
    let out = '';
    const states = this.store.runStates();
    const changed: RunState[] = [];
    for (const s of states) {
      const old = this.runs.get(s.id);
      if (this.first ? this.since !== undefined && Math.max(s.started, s.heartbeat ?? 0, s.ended ?? 0) >= this.since : old === undefined || old.status !== s.status || old.ended !== s.ended) changed.push(s);
      this.runs.set(s.id, s);
    }
    this.first = false;
    if (changed.length > 0) out += `event: runs\ndata: ${JSON.stringify({ runs: changed })}\n\n`;
    const rows = this.store.metricsAfterRowid(this.lastRowid, 50_000);
    if (rows.length > 0) {
      const byRun: Record<string, Record<string, { steps: number[]; values: (number | string | null)[] }>> = {};
      for (const r of rows) {
        const run = (byRun[r.run] ??= {});
        const c = (run[r.key] ??= { steps: [], values: [] });
        c.steps.push(r.step);
        c.values.push(r.value === null ? null : jsonValue(r.value));
      }
      this.lastRowid = rows[rows.length - 1]!.id;
      out += `id: ${this.lastRowid}\nevent: metrics\ndata: ${JSON.stringify({ lastRowid: this.lastRowid, points: rows.length, runs: byRun })}\n\n`;
    }
    return out;
  }
}

/** Starts the board; resolves once it listens. */
export async function startBoard(opts: BoardOptions = {}): Promise<Board> {
  const location = opts.store ?? process.env.SOUS_STORE ?? '.sous/runs.db';
  const postgres = isPostgresUrl(location);
  const file = postgres ? location : resolve(location);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 6006;
  const liveMs = opts.liveIntervalMs ?? 1000;
  const log = opts.log ?? ((m: string) => process.stderr.write(`sous board: ${m}\n`));
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw new BoardError(`the port must be an integer from 0 to 65535 (got ${port})`);
  if (!postgres) {
    if (!existsSync(file)) throw new BoardError(`no run store at ${file}: train something first (runs are recorded in .sous/runs.db), or give --store PATH (or a postgres:// URL) / set SOUS_STORE`);
    if (!statSync(file).isFile()) throw new BoardError(`${file} is not a file: --store takes the run store's SQLite file, or a postgres:// URL`);
  }

  // mark the runs whose process is gone, once, if the store is writable (migrating an older schema too)
  let crashed: string[] = [];
  try {
    const rw = RunStore.open(file);
    try {
      crashed = rw.markCrashed();
    } finally {
      rw.close();
    }
  } catch (e) {
    // a server that cannot be reached or refuses the login: no use trying again read-only
    if (e instanceof StoreConnectionError) throw new BoardError(e.message);
    /* a read-only file, folder or database user: show the runs as they are */
  }
  let store: RunStore;
  try {
    store = RunStore.open(file, { readonly: true });
  } catch (e) {
    throw new BoardError((e as Error).message);
  }

  const webDir = join(packageRoot(), 'web', 'board');
  const streams = new Set<ServerResponse>();

  function serveStatic(res: ServerResponse, pathname: string): void {
    const name = pathname === '/' ? 'index.html' : decode(pathname.slice(1));
    // one plain file name in web/board: no folders, no dot files, nothing outside it
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name) || name.includes('..')) throw notFound(`no such page: ${pathname.slice(0, 80)}`);
    const full = join(webDir, name);
    if (dirname(full) !== webDir || !existsSync(full) || !statSync(full).isFile()) throw notFound(`no such page: ${pathname.slice(0, 80)}`);
    const body = readFileSync(full);
    res.writeHead(200, { 'content-type': contentType(full), 'content-length': body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(body);
  }

  function serveArtifact(res: ServerResponse, runId: string, name: string): void {
    if (store.getRun(runId) === undefined) throw notFound(`no run with id '${runId.slice(0, 80)}' in the store`);
    const rows = store.artifacts(runId).filter((a) => a.name === name);
    const a = rows[rows.length - 1];
    if (a === undefined) throw notFound(`run '${runId}' has no artifact named '${name.slice(0, 80)}'`);
    let st;
    try {
      st = statSync(a.path);
    } catch {
      throw notFound(`artifact '${name}': ${a.path} no longer exists`);
    }
    if (!st.isFile()) throw notFound(`artifact '${name}' is a folder (${a.path}); only files are served`);
    const headers: Record<string, string | number> = {
      'content-type': contentType(a.path), 'content-length': st.size, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache',
      'content-disposition': `inline; filename="${basename(a.path).replace(/[^\w.-]/g, '_')}"`,
    };
    // a run's HTML (doctor.html) or SVG runs in a sandbox, with no access to the board's origin
    if (/\.(html?|svg)$/i.test(a.path)) headers['content-security-policy'] = 'sandbox allow-scripts';
    res.writeHead(200, headers);
    const stream = createReadStream(a.path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  function serveLive(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void {
    const feed = new LiveFeed(store, parseSince(q));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ cursor: feed.cursor, intervalMs: liveMs, time: Date.now() / 1000 })}\n\n`);
    streams.add(res);
    const send = (): void => {
      try {
        const msg = feed.tick();
        res.write(msg === '' ? ': ping\n\n' : msg);
      } catch (e) {
        res.write(`event: failure\ndata: ${JSON.stringify({ error: (e as Error).message })}\n\n`);
      }
    };
    send();
    const timer = setInterval(send, liveMs);
    const stop = (): void => {
      clearInterval(timer);
      streams.delete(res);
    };
    req.on('close', stop);
    res.on('close', stop);
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      throw new HttpError(405, `method ${req.method ?? '?'} not allowed: the board is read-only (GET, HEAD)`);
    }
    const url = new URL(req.url ?? '/', 'http://board.invalid');
    const q = url.searchParams;
    const path = url.pathname;
    if (!path.startsWith('/api/')) return serveStatic(res, path);
    const parts = path.slice(5).split('/');
    if (parts.length === 1 && parts[0] === 'runs') return sendJson(res, 200, listRunsApi(store, q));
    if (parts.length === 1 && parts[0] === 'compare') return sendJson(res, 200, compareApi(store, q));
    if (parts.length === 1 && parts[0] === 'keys') return sendJson(res, 200, keysApi(store, q));
    if (parts.length === 1 && parts[0] === 'live') return serveLive(req, res, q);
    if (parts[0] === 'runs' && parts.length >= 2 && parts[1] !== '') {
      const id = decode(parts[1]!);
      if (parts.length === 2) return sendJson(res, 200, runApi(store, id, q));
      if (parts.length === 3 && parts[2] === 'metrics') return sendJson(res, 200, metricsApi(store, id, q));
      if (parts.length === 3 && parts[2] === 'histograms') return sendJson(res, 200, histogramsApi(store, id, q));
      if (parts.length === 3 && parts[2] === 'confusion') return sendJson(res, 200, confusionApi(store, id, q));
      if (parts.length === 4 && parts[2] === 'artifacts' && parts[3] !== '') return serveArtifact(res, id, decode(parts[3]!));
    }
    throw notFound(`no API route ${path.slice(0, 80)}; the routes are /api/runs, /api/runs/:id, /api/runs/:id/metrics, /api/runs/:id/histograms, /api/runs/:id/confusion, /api/runs/:id/artifacts/:name, /api/compare, /api/keys, /api/live`);
  }

  const server: Server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) {
        sendJson(res, e.status, { ...e.extra, error: e.message });
        return;
      }
      log(`${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      sendJson(res, 500, { error: `internal error: ${(e as Error).message}` });
    }
  });
  server.on('clientError', (_err: Error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      store.close();
      fail(e.code === 'EADDRINUSE' ? new BoardError(`port ${port} on ${host} is in use: give another with --port (0: any free port)`) : e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      ok();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${actual}/`,
    port: actual,
    crashed,
    close(): Promise<void> {
      closed ??= new Promise<void>((ok) => {
        for (const s of streams) s.end();
        streams.clear();
        server.close(() => {
          store.close();
          ok();
        });
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
