// A throwaway PostgreSQL server for tests: initdb in a temp folder, started with pg_ctl on 127.0.0.1
// at a free port (its socket in the temp folder too), with password (SCRAM) login over TCP for the
// user `sous`. As root, initdb and postgres refuse to run, so they run as the `postgres` system user
// (runuser), with the temp folder chowned to it. Missing binaries are an error that says to install
// them (`apt-get install postgresql`), never a silent skip. Each test can take its own database
// (`createDatabase`), so that tests sharing one server do not see each other's runs.
//
//   const pg = await startPostgres();
//   const url = await pg.createDatabase('t1');   // postgres://sous:...@127.0.0.1:PORT/t1
//   ...
//   await pg.stop();

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** the server's superuser URL for the `postgres` database (user sous, with its password) */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** the temp folder holding the data, socket and log */
  dir: string;
  /** makes a new, empty database and returns its URL */
  createDatabase(name: string): Promise<string>;
  /** the URL of a database on this server (as another user or password, for the login tests) */
  urlFor(database: string, user?: string, password?: string): string;
  /** the server's log so far (for assertion messages) */
  log(): string;
  /** stops the server (immediate shutdown) and removes its folder; a second call does nothing */
  stop(): Promise<void>;
}

const USER = 'sous';
const PASSWORD = 'sous-test-pw';

/** The folder with initdb and pg_ctl: $SOUS_PG_BIN, else /usr/lib/postgresql/<newest>/bin. */
export function postgresBinDir(): string {
  const tried: string[] = [];
  const env = process.env.SOUS_PG_BIN;
  if (env !== undefined && env !== '') {
    if (existsSync(join(env, 'initdb')) && existsSync(join(env, 'pg_ctl'))) return env;
    tried.push(env);
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
    tried.push(bin);
  }
  if (tried.length === 0) tried.push(`${root}/<version>/bin`);
  throw new Error(`the PostgreSQL tests need a PostgreSQL server's binaries (initdb, pg_ctl), not found in ${tried.join(', ')}: install them with \`apt-get install postgresql\` (scripts/setup.sh does), or set SOUS_PG_BIN to the folder holding them`);
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

interface Runner { run(cmd: string, args: string[]): string; chown(path: string): void }

function runner(): Runner {
  const root = process.getuid?.() === 0;
  if (!root) return { run: (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), chown: () => {} };
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error('running as root, the PostgreSQL tests run the server as the `postgres` system user, which does not exist: install the server with `apt-get install postgresql` (it creates the user)');
  }
  return {
    run: (cmd, args) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    chown: (path) => chownSync(path, uid, gid),
  };
}

function errText(e: unknown): string {
  const x = e as { message?: string; stderr?: string; stdout?: string };
  return [x.message, x.stdout, x.stderr].filter((s) => s !== undefined && s !== '').join('\n');
}

/** Starts a PostgreSQL server on 127.0.0.1 at a free port; resolves once it accepts connections. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const sh = runner();
  const dir = mkdtempSync(join(tmpdir(), 'sous-pg-'));
  sh.chown(dir);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  sh.chown(pwFile);
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  try {
    sh.run(join(bin, 'initdb'), ['-D', data, '-U', USER, `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${errText(e)}`);
  }
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=100`;
    try {
      sh.run(join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-o', opts, '-w', '-t', '60', 'start']);
      break;
    } catch (e) {
      // another process may have taken the port between freePort() and the server's bind: try another
      if (attempt < 3 && /could not bind|already in use/i.test(readLog())) continue;
      const log = readLog();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pg_ctl start failed: ${errText(e)}\n${log}`);
    }
  }
  const host = '127.0.0.1';
  const urlFor = (database: string, user = USER, password = PASSWORD): string => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
  let stopped: Promise<void> | undefined;
  const server: PostgresServer = {
    url: urlFor('postgres'),
    host,
    port,
    user: USER,
    password: PASSWORD,
    dir,
    urlFor,
    log: readLog,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`createDatabase: '${name}' must be a plain lower-case SQL name`);
      const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
      const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        try {
          sh.run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch { /* already stopped */ }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return server;
}
