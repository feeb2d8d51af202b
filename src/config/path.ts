// Dotted-path access and merging on plain config values. Paths are "a.b.c"; list items are
// addressed by index ("layers.0" or "layers[0]").

import { ConfigError } from './errors.js';
import { type ConfigObject, type ConfigValue, isObject, MISSING } from './types.js';

export function splitPath(path: string | readonly (string | number)[]): string[] {
  if (typeof path !== 'string') return path.map(String);
  if (path === '') return [];
  return path.replace(/\[(\d+)\]/g, '.$1').split('.');
}

export function joinPath(...parts: (string | number)[]): string {
  return parts.filter((p) => p !== '').join('.');
}

function child(node: ConfigValue | undefined, key: string): ConfigValue | undefined {
  if (Array.isArray(node)) return /^\d+$/.test(key) ? node[Number(key)] : undefined;
  if (isObject(node)) return Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
  return undefined;
}

/** The value at `path`, or undefined when any part of the path does not exist. */
export function getPath(root: ConfigValue, path: string | readonly (string | number)[]): ConfigValue | undefined {
  let node: ConfigValue | undefined = root;
  for (const key of splitPath(path)) {
    node = child(node, key);
    if (node === undefined) return undefined;
  }
  return node;
}

export function hasPath(root: ConfigValue, path: string | readonly (string | number)[]): boolean {
  return getPath(root, path) !== undefined;
}

/** Sets `path` in place, creating missing mappings on the way. Throws when a part of the path is a scalar. */
export function setPath(root: ConfigObject, path: string | readonly (string | number)[], value: ConfigValue): void {
  const keys = splitPath(path);
  if (keys.length === 0) throw new ConfigError('cannot set the config root; give a key such as a.b');
  let node: ConfigValue = root;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const last = i === keys.length - 1;
    if (Array.isArray(node)) {
      const idx = Number(key);
      if (!/^\d+$/.test(key) || idx > node.length) {
        throw new ConfigError(`cannot set ${keys.join('.')}: ${keys.slice(0, i).join('.')} is a list of ${node.length} items and '${key}' is not an index into it`);
      }
      if (last) { node[idx] = value; return; }
      if (node[idx] === undefined) node[idx] = {};
      node = node[idx]!;
    } else if (isObject(node)) {
      if (last) { node[key] = value; return; }
      if (!Object.prototype.hasOwnProperty.call(node, key) || node[key] === null) node[key] = {};
      node = node[key]!;
    } else {
      throw new ConfigError(`cannot set ${keys.join('.')}: ${keys.slice(0, i).join('.')} is ${JSON.stringify(node)}, not a mapping`);
    }
  }
}

/** Removes `path`; returns false when it did not exist. */
export function deletePath(root: ConfigObject, path: string | readonly (string | number)[]): boolean {
  const keys = splitPath(path);
  const last = keys.pop();
  if (last === undefined) return false;
  const parent = getPath(root, keys);
  if (Array.isArray(parent) && /^\d+$/.test(last) && Number(last) < parent.length) {
    parent.splice(Number(last), 1);
    return true;
  }
  if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
    delete parent[last];
    return true;
  }
  return false;
}

export function cloneValue<T extends ConfigValue>(v: T): T {
  return structuredClone(v);
}

/**
 * Merges `src` into `dst` in place (Hydra/OmegaConf merge): mappings merge key by key, everything
 * else (lists included) is replaced by the later value. A later '???' does not erase an earlier
 * value, as in OmegaConf, so a base config can declare a key mandatory and another fill it in.
 */
export function mergeInto(dst: ConfigObject, src: ConfigObject): ConfigObject {
  for (const [key, value] of Object.entries(src)) {
    const old = dst[key];
    if (isObject(value) && isObject(old)) mergeInto(old, value);
    else if (value === MISSING && old !== undefined) continue;
    else dst[key] = cloneValue(value);
  }
  return dst;
}

/** Every dotted path of a mapping, parents before children; used for "did you mean" hints. */
export function allPaths(root: ConfigValue, prefix = ''): string[] {
  const out: string[] = [];
  if (!isObject(root)) return out;
  for (const [key, value] of Object.entries(root)) {
    const p = joinPath(prefix, key);
    out.push(p, ...allPaths(value, p));
  }
  return out;
}

export function deepEqual(a: ConfigValue | undefined, b: ConfigValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
