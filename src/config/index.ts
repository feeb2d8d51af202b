// Public API of the config system (Hydra semantics: config groups, Defaults List, override grammar,
// interpolation, multirun sweeps; zod for schemas). See docs/config.md.

export { ConfigError } from './errors.js';
export type { ConfigObject, ConfigValue } from './types.js';
export { isObject, MISSING } from './types.js';
export { parseYaml, readYamlFile, toYaml } from './yaml.js';
export { composeConfig, groupOptions, type Composed, type GroupOverride } from './compose.js';
export { resolveConfig, type ResolveOptions } from './interpolate.js';
export { formatOverrideValue, parseOverride, type Override, type OverrideValue } from './overrides.js';
export { applyOverrides } from './apply.js';
export { expandSweeps, planSweep, sweepParams, type SweepOptions } from './sweep.js';
export { validateConfig } from './schema.js';
export { loadConfig, type LoadedConfig, type LoadOptions } from './load.js';
export { deletePath, getPath, hasPath, mergeInto, setPath } from './path.js';
