// Multirun sweeps: the cartesian product of swept overrides in Hydra BasicSweeper order (the first
// swept key varies slowest). Sweeps can also be written in the config, under `sweep.params`
// (our name for Hydra's `hydra.sweeper.params`): a mapping from override key to sweep text,
// e.g. `sweep: {params: {optim.lr: "1e-3,3e-4", model: "glob(*)"}}`. Command-line overrides of
// the same key win; the config's params come first, then the command line in its order.

import path from 'node:path';
import { composeConfig, groupOptions, isGroup } from './compose.js';
import { ConfigError } from './errors.js';
import { formatOverride, formatOverrideValue, type Override, parseOverride } from './overrides.js';
import { getPath } from './path.js';
import { type ConfigObject, type ConfigValue, isObject } from './types.js';
import { splitOverrides, resolvePrimary } from './load.js';

export interface SweepOptions {
  /** Sweep params from a config (`sweep.params`), as read by `sweepParams`. */
  params?: Readonly<Record<string, ConfigValue>>;
  /** The options of a config group, needed for `glob()`. */
  groupOptions?: (group: string) => string[];
}

/** `sweep.params` of a config as override strings; a YAML list is taken as the list of choices. */
export function sweepParams(config: ConfigObject): string[] {
  const params = getPath(config, 'sweep.params');
  if (params === undefined || params === null) return [];
  if (!isObject(params)) throw new ConfigError(`sweep.params must be a mapping from key to sweep (e.g. optim.lr: 1e-3,3e-4), not ${JSON.stringify(params)}`);
  return Object.entries(params).map(([k, v]) => {
    if (Array.isArray(v)) {
      if (v.length === 0) throw new ConfigError(`sweep.params.${k} is an empty list; give at least one value`);
      return `${k}=${v.map(formatOverrideValue).join(',')}`;
    }
    return `${k}=${typeof v === 'string' ? v : formatOverrideValue(v)}`;
  });
}

function globMatch(name: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

function choicesOf(o: Override, opts: SweepOptions): string[] {
  const v = o.value;
  if (v === undefined) return [o.input];
  if (v.kind === 'value') return [o.input];
  if (v.kind === 'sweep') return v.values.map((x) => formatOverride(o, x));
  if (!opts.groupOptions) throw new ConfigError(`${o.input}: glob() selects config group options, so it needs the config folder; use planSweep(path, ...)`);
  const options = opts.groupOptions(o.key).filter((n) => v.include.some((p) => globMatch(n, p)) && !v.exclude.some((p) => globMatch(n, p)));
  if (options.length === 0) throw new ConfigError(`${o.input}: no option of group '${o.key}' matches (the options are ${opts.groupOptions(o.key).join(', ') || 'none'})`);
  return options.map((n) => formatOverride(o, n));
}

/** Expands sweeps into one list of plain overrides per job (the first swept key varies slowest). */
export function expandSweeps(overrides: readonly string[], opts: SweepOptions = {}): string[][] {
  const cli = overrides.map(parseOverride);
  const cliKeys = new Set(cli.map((o) => o.key));
  const fromConfig = opts.params ? sweepParams({ sweep: { params: { ...opts.params } } }).map(parseOverride).filter((o) => !cliKeys.has(o.key)) : [];
  let jobs: string[][] = [[]];
  for (const o of [...fromConfig, ...cli]) {
    const choices = choicesOf(o, opts);
    jobs = jobs.flatMap((job) => choices.map((c) => [...job, c]));
  }
  return jobs;
}

/**
 * Plans a multirun from a config folder: composes the config (with the non-sweep group
 * overrides) to read its `sweep.params`, then expands those and `overrides`, resolving glob()
 * against the group folders. Load each job with loadConfig(path, { overrides: job }).
 */
export function planSweep(primaryPath: string, opts: { overrides?: readonly string[] } = {}): string[][] {
  const file = resolvePrimary(primaryPath);
  const dir = path.dirname(file);
  const parsed = (opts.overrides ?? []).map(parseOverride);
  const plain = parsed.filter((o) => o.value === undefined || o.value.kind === 'value');
  const { groups } = splitOverrides(dir, plain);
  const { config } = composeConfig(file, groups);
  const params = getPath(config, 'sweep.params');
  return expandSweeps(opts.overrides ?? [], {
    ...(isObject(params) ? { params } : {}),
    groupOptions: (g) => (isGroup(dir, g) ? groupOptions(dir, g) : []),
  });
}
