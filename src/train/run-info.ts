// What a run records so that it can be reproduced: the git commit and whether the tree was dirty,
// the versions of Node, Sous and libtorch, the machine and the device.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../torch/index.js';

export interface GitInfo {
  commit: string | null;
  dirty: boolean | null;
  /** why commit is null: not a repository, git missing */
  note?: string;
}

/** The commit of the repository holding `cwd` and whether it has uncommitted changes. */
export function gitInfo(cwd = process.cwd()): GitInfo {
  const run = (args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', timeout: 10_000 });
  const head = run(['rev-parse', 'HEAD']);
  if (head.error) return { commit: null, dirty: null, note: `git is not available: ${head.error.message}` };
  if (head.status !== 0) return { commit: null, dirty: null, note: 'not inside a git repository (or no commit yet)' };
  const status = run(['status', '--porcelain', '--untracked-files=no']);
  return { commit: head.stdout.trim(), dirty: status.status === 0 ? status.stdout.trim() !== '' : null };
}

function sousVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sous') return pkg.version ?? 'unknown';
    } catch { /* not here: look one folder up */ }
    dir = dirname(dir);
  }
  return 'unknown';
}

export interface Environment {
  node: string;
  sous: string;
  libtorch: string;
  platform: string;
  host: string;
  cpu: string;
  cpus: number;
  memoryGiB: number;
  threads: number;
  device: string;
  cuda: { available: boolean; devices: number };
}

export function environment(device: string): Environment {
  const c = cpus();
  const cudaAvailable = torch.cuda.isAvailable();
  return {
    node: process.version,
    sous: sousVersion(),
    libtorch: torch.libtorchVersion(),
    platform: `${process.platform}-${process.arch}`,
    host: hostname(),
    cpu: c[0]?.model ?? 'unknown',
    cpus: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    threads: torch.getNumThreads(),
    device,
    cuda: { available: cudaAvailable, devices: cudaAvailable ? torch.cuda.deviceCount() : 0 },
  };
}
