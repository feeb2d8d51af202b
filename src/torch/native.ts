// Loads the addon and checks that it was built against the libtorch now on the machine: the C++ ABI
// of libtorch changes between versions, so a stale build must fail with a rebuild hint, not crash.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A native tensor handle: a number naming a slot of the addon's tensor table (and its generation). */
export type Handle = number & { readonly __handle: unique symbol };
export type NativeFn = (...args: unknown[]) => unknown;

export interface NativeAddon {
  ops: Record<string, NativeFn>;
  available: Record<string, boolean>;
  [name: string]: unknown;
}

function packageRoot(): string {
  // dist/src/torch/native.js or src/torch/native.ts: the root is the first folder with package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('sous: cannot find the package root (package.json beside native/)');
}

interface BuildInfo {
  torchVersion: string;
  source: string;
  libDir: string;
  fingerprint: { libtorchCpu: string; size: number; mtimeMs: number };
}

const REBUILD = 'Rebuild it with `npm run build:native` (or run `bash scripts/setup.sh`).';

function load(): NativeAddon {
  // SOUS_ADDON_DIR points at another build folder (used by tests of the load-time checks).
  const release = process.env.SOUS_ADDON_DIR ?? join(packageRoot(), 'native/build/Release');
  const addonPath = join(release, 'sous.node');
  if (!existsSync(addonPath)) {
    throw new Error(`sous: the native addon is not built (${addonPath} is missing). ${REBUILD}`);
  }
  const infoPath = join(release, 'build-info.json');
  if (existsSync(infoPath)) {
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as BuildInfo;
    const lib = info.fingerprint.libtorchCpu;
    if (!existsSync(lib)) {
      throw new Error(`sous: the addon was built against libtorch ${info.torchVersion} (${info.source}) at ${lib}, which is gone. ${REBUILD}`);
    }
    const st = statSync(lib);
    if (st.size !== info.fingerprint.size || Math.round(st.mtimeMs) !== info.fingerprint.mtimeMs) {
      throw new Error(`sous: libtorch at ${lib} changed since the addon was built against ${info.torchVersion} (${info.source}). ${REBUILD}`);
    }
  }
  const require = createRequire(import.meta.url);
  try {
    return require(addonPath) as NativeAddon;
  } catch (e) {
    throw new Error(`sous: the native addon failed to load: ${(e as Error).message}. ${REBUILD}`, { cause: e });
  }
}

export const native: NativeAddon = load();

/**
 * A copy of an object with many properties that V8 keeps in fast mode (Object.fromEntries), so
 * that hot lookups such as core.grad or torch.linear are constant loads instead of dictionary
 * probes: the addon's exports object, built by napi one property at a time, and the torch
 * namespace, assembled with Object.assign, are both dictionaries.
 */
export function fastObject<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o)) as T;
}

// Typed views of the hand-written core's entry points.
type F<A extends unknown[], R> = (...args: A) => R;
export const core = fastObject(native) as unknown as {
  fromBuffer: F<[ArrayBufferView, number[], number], Handle>;
  toBuffer: F<[Handle], ArrayBuffer>;
  item: F<[Handle], number | boolean | bigint>;
  dispose: F<[Handle], void>;
  disposeMany: F<[Handle[]], void>;
  disposeHandles: F<[Float64Array, number], void>;
  isDisposed: F<[Handle], boolean>;
  shape: F<[Handle], number[]>;
  strides: F<[Handle], number[]>;
  meta: F<[Handle], [number, string, boolean, boolean, string | null, number, number]>;
  dtypeOf: F<[Handle], number>;
  deviceOf: F<[Handle], string>;
  isContiguous: F<[Handle, number | null], boolean>;
  storageOffset: F<[Handle], number>;
  sameStorage: F<[Handle, Handle], boolean>;
  to: F<[Handle, string | null, number | null, boolean, boolean, number | null], Handle>;
  pinMemory: F<[Handle], Handle>;
  setRequiresGrad: F<[Handle, boolean], void>;
  grad: F<[Handle], Handle | null>;
  setGrad: F<[Handle, Handle | null], void>;
  retainGrad: F<[Handle], void>;
  retainsGrad: F<[Handle], boolean>;
  setData: F<[Handle, Handle], void>;
  enterAutocast: F<[string, number, boolean, boolean], number>;
  exitAutocast: F<[number], void>;
  isAutocastEnabled: F<[string], boolean>;
  backward: F<[Handle[], (Handle | null)[] | null, boolean | null, boolean, Handle[] | null], void>;
  autogradGrad: F<[Handle[], Handle[], (Handle | null)[] | null, boolean | null, boolean, boolean], (Handle | null)[]>;
  setGradEnabled: F<[boolean], boolean>;
  isGradEnabled: F<[], boolean>;
  enterInferenceMode: F<[boolean], number>;
  exitInferenceMode: F<[number], void>;
  isInferenceMode: F<[], boolean>;
  isInference: F<[Handle], boolean>;
  setAnomalyEnabled: F<[boolean], boolean>;
  hasNonFinite: F<[Handle], boolean>;
  manualSeed: F<[number | bigint], void>;
  initialSeed: F<[], number>;
  getRngState: F<[], Handle>;
  setRngState: F<[Handle], void>;
  setDeterministic: F<[boolean, boolean], void>;
  isDeterministic: F<[], boolean>;
  setNumThreads: F<[number], void>;
  getNumThreads: F<[], number>;
  memory: F<[], { liveTensors: number; createdTensors: number; liveStorages: number; cpuBytes: number }>;
  version: F<[], string>;
  index: F<[Handle, unknown[]], Handle>;
  indexPut: F<[Handle, unknown[], Handle | number | boolean, boolean], void>;
  cudaIsAvailable: F<[], boolean>;
  cudaDeviceCount: F<[], number>;
  cudaSynchronize: F<[number | null], void>;
  cudaExtras: boolean;
  cudaMemoryStats?: F<[number | null], { allocated: number; peakAllocated: number; reserved: number; peakReserved: number; numOoms: number }>;
  cudaEmptyCache?: F<[], void>;
  cudaResetPeak?: F<[number | null], void>;
  cudaGraphNew?: F<[], number>;
  cudaGraphCaptureBegin?: F<[number], void>;
  cudaGraphCaptureEnd?: F<[number], void>;
  cudaGraphReplay?: F<[number], void>;
  cudaGraphDispose?: F<[number], void>;
  cudaSideStreamBegin?: F<[], void>;
  cudaSideStreamEnd?: F<[], void>;
};
