// The CUDA-only native code (native/src/cuda.cc under SOUS_CUDA_EXTRAS: allocator statistics and
// CUDA graphs) is compiled for real only on a GPU machine. So that a mistake there does not wait for
// one, it is syntax-checked here against the installed libtorch's ATen/cuda and c10/cuda headers,
// with stand-ins for the CUDA toolkit's headers (native/cuda-syntax/README.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const root = repoRoot();
const gypiPath = join(root, 'native/libtorch.gypi');
const gypi = existsSync(gypiPath)
  ? (JSON.parse(readFileSync(gypiPath, 'utf8')) as { target_defaults: { include_dirs: string[]; defines: string[] } }).target_defaults
  : null;
const cudaHeaders = gypi?.include_dirs.find((d) => existsSync(join(d, 'ATen/cuda/CUDAGraph.h')));
const cudaBuild = gypi?.defines.includes('SOUS_CUDA_EXTRAS=1') ?? false;

describe('CUDA-only native code', () => {
  const skip = gypi === null ? 'native/libtorch.gypi is missing (build the addon first: npm run build:native)'
    : cudaBuild ? 'this addon is a CUDA build: the real compile already checked cuda.cc'
      : cudaHeaders === undefined ? "the installed libtorch has no ATen/cuda headers to check against"
        : false;
  it('native/src/cuda.cc compiles with SOUS_CUDA_EXTRAS against the installed libtorch headers', { skip }, () => {
    const nodeInclude = join(dirname(dirname(process.execPath)), 'include/node');
    const args = ['-std=c++17', '-fsyntax-only', '-fexceptions', '-frtti', '-Wno-deprecated-declarations',
      `-I${join(root, 'native/cuda-syntax')}`, `-I${nodeInclude}`, ...gypi!.include_dirs.map((d) => `-I${d}`),
      ...gypi!.defines.map((d) => `-D${d}`), '-DSOUS_CUDA_EXTRAS=1', join(root, 'native/src/cuda.cc')];
    const r = spawnSync('g++', args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `g++ -fsyntax-only failed:\n${(r.stderr ?? '').split('\n').filter((l) => /error/.test(l)).slice(0, 20).join('\n')}`);
  });
});
