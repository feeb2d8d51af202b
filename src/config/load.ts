// loadConfig: compose -> apply key overrides -> interpolate, the Hydra job-config pipeline.

import fs from 'node:fs';
import path from 'node:path';
import { applyOverrides } from './apply.js';
import { composeConfig, type GroupOverride, isGroup } from './compose.js';
import { ConfigError } from './errors.js';
import { resolveConfig } from './interpolate.js';
import { formatOverrideValue, type Override, parseOverride } from './overrides.js';
import { type ConfigObject, isObject } from './types.js';

export interface LoadOptions {
  overrides?: readonly string[];
  /** Environment for `${oc.env:...}`; process.env when not given. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadedConfig {
  config: ConfigObject;
  /** Config group -> option chosen (`group@pkg` keys for groups placed with a package). */
  choices: Record<string, string | null>;
  /** The overrides as given, to save with the run. */
  overrides: string[];
}

/** Accepts `conf/config.yaml` or `conf/config`. */
export function resolvePrimary(p: string): string {
  const candidates = p.endsWith('.yaml') ? [p] : [p, `${p}.yaml`];
  for (const c of candidates) if (fs.existsSync(c) && fs.statSync(c).isFile()) return path.resolve(c);
  throw new ConfigError(`config file not found: ${candidates.join(' or ')}`);
}

/** Splits overrides into those that pick config group options (a folder of that name exists) and key overrides. */
export function splitOverrides(dir: string, overrides: readonly Override[]): { groups: GroupOverride[]; keys: Override[] } {
  const groups: GroupOverride[] = [];
  const keys: Override[] = [];
  for (const o of overrides) {
    if (o.key.includes('.') || !isGroup(dir, o.key)) {
      if (o.key.includes('/')) throw new ConfigError(`${o.input}: there is no config group folder ${path.join(dir, o.key)}; config keys are written with dots (a.b)`);
      keys.push(o);
      continue;
    }
    let option: string | null | undefined;
    if (o.value !== undefined) {
      if (o.value.kind !== 'value') throw new ConfigError(`${o.input} is a sweep; expand it with expandSweeps() (or planSweep()) and load each job's overrides`);
      const v = o.value.value;
      if (v !== null && (typeof v === 'object')) throw new ConfigError(`${o.input}: '${o.key}' is a config group, so its value must be an option name (a file in ${path.join(dir, o.key)}) or null`);
      option = v === null ? null : typeof v === 'string' ? v : formatOverrideValue(v);
    }
    if (option === undefined && o.op !== 'delete') option = null;
    groups.push({ op: o.op, group: o.key, ...(o.pkg !== undefined ? { pkg: o.pkg } : {}), ...(option !== undefined ? { option } : {}), input: o.input });
  }
  return { groups, keys };
}

/**
 * Loads a Hydra-style config: the primary file's Defaults List composed, the overrides applied
 * (group overrides before composition, key overrides after), interpolations resolved. The result
 * has no `defaults` key and no `sweep.params` (see planSweep).
 */
export function loadConfig(primaryPath: string, opts: LoadOptions = {}): LoadedConfig {
  const file = resolvePrimary(primaryPath);
  const overrides = [...(opts.overrides ?? [])];
  const { groups, keys } = splitOverrides(path.dirname(file), overrides.map(parseOverride));
  const { config, choices } = composeConfig(file, groups);
  applyOverrides(config, keys);
  if (isObject(config.sweep) && 'params' in config.sweep) {
    delete config.sweep.params;
    if (Object.keys(config.sweep).length === 0) delete config.sweep;
  }
  return { config: resolveConfig(config, opts.env ? { env: opts.env } : {}), choices, overrides };
}
