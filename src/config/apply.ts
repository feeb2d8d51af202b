// Applying parsed key overrides (not group overrides) to a composed config, with Hydra's rules:
// `key=` must exist, `+key=` must not, `++key=` either, `~key[=v]` must exist (and match v).

import { ConfigError, didYouMean } from './errors.js';
import type { Override } from './overrides.js';
import { allPaths, deepEqual, deletePath, getPath, setPath } from './path.js';
import type { ConfigObject, ConfigValue } from './types.js';

function plainValue(o: Override): ConfigValue | undefined {
  if (o.value === undefined) return undefined;
  if (o.value.kind !== 'value') {
    throw new ConfigError(`${o.input} is a sweep; expand it with expandSweeps() (or planSweep()) and load each job's overrides`);
  }
  return o.value.value;
}

export function applyOverrides(config: ConfigObject, overrides: readonly Override[]): void {
  for (const o of overrides) {
    if (o.pkg !== undefined) {
      throw new ConfigError(`${o.input}: '@${o.pkg}' (a package) only applies to config groups, and '${o.key}' is not a config group folder`);
    }
    const value = plainValue(o);
    const current = getPath(config, o.key);
    const hint = () => didYouMean(o.key, allPaths(config));
    switch (o.op) {
      case 'set':
        if (current === undefined) {
          throw new ConfigError(`cannot override ${o.key} (from ${o.input}): the config has no key ${o.key}${hint()}; to add it write +${o.input}`);
        }
        setPath(config, o.key, value!);
        break;
      case 'add':
        if (current !== undefined) {
          throw new ConfigError(
            `cannot add ${o.key} (from ${o.input}): it already exists (value ${JSON.stringify(current)}); write ${o.input.slice(1)} to change it or +${o.input} to add or override`,
          );
        }
        setPath(config, o.key, value!);
        break;
      case 'force':
        setPath(config, o.key, value!);
        break;
      case 'delete':
        if (current === undefined) throw new ConfigError(`cannot delete ${o.key} (from ${o.input}): the config has no key ${o.key}${hint()}`);
        if (value !== undefined && !deepEqual(current, value)) {
          throw new ConfigError(`cannot delete ${o.key} (from ${o.input}): its value is ${JSON.stringify(current)}, not ${JSON.stringify(value)}; write ~${o.key} to delete it whatever its value`);
        }
        deletePath(config, o.key);
        break;
    }
  }
}
