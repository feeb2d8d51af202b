// Parsing one config file's `defaults:` list (Hydra's Defaults List) into typed entries.
// Composition (compose.ts) decides what the entries mean; this only checks their shape.

import { ConfigError } from './errors.js';
import { type ConfigValue, isObject } from './types.js';

export type DefaultEntry =
  | { kind: 'self' }
  /** `- base`, `- db/mysql`, `- base@pkg`: a config file by name. */
  | { kind: 'config'; name: string; pkg?: string }
  /** `- [optional] [override] group[@pkg]: option|null`. */
  | { kind: 'group'; group: string; pkg?: string; option: string | null; optional: boolean; override: boolean };

const FORMS =
  "the entries are '- _self_', '- config_name', '- group: option', '- group@package: option', " +
  "'- optional group: option', '- override group: option' and '- group: null'";

const NAME = String.raw`\/?[\w\-]+(?:\/[\w\-]+)*`;
const CONFIG_RE = new RegExp(`^(${NAME})(?:@([\\w\\-.]*))?$`);
const GROUP_RE = new RegExp(`^((?:(?:optional|override)\\s+){0,2})(${NAME})(?:@([\\w\\-.]*))?$`);

function bad(file: string, i: number, entry: unknown, why: string): ConfigError {
  return new ConfigError(`${file}: defaults[${i}] ${JSON.stringify(entry)} ${why}; ${FORMS}`);
}

export function parseDefaults(raw: ConfigValue | undefined, file: string): DefaultEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError(`${file}: 'defaults' must be a list; ${FORMS}`);
  const out: DefaultEntry[] = [];
  let selfSeen = false;
  raw.forEach((entry, i) => {
    if (typeof entry === 'string') {
      if (entry === '_self_') {
        if (selfSeen) throw bad(file, i, entry, 'repeats _self_ (it may appear once)');
        selfSeen = true;
        out.push({ kind: 'self' });
        return;
      }
      const m = CONFIG_RE.exec(entry.trim());
      if (!m) throw bad(file, i, entry, 'is not a config name');
      out.push({ kind: 'config', name: m[1]!, ...(m[2] !== undefined ? { pkg: m[2] } : {}) });
      return;
    }
    if (!isObject(entry) || Object.keys(entry).length !== 1) throw bad(file, i, entry, 'must be a string or a mapping with one key');
    const [key, option] = Object.entries(entry)[0]!;
    const m = GROUP_RE.exec(key.trim());
    if (!m) throw bad(file, i, entry, `has a malformed group key '${key}'`);
    const words = m[1]!.trim().split(/\s+/).filter(Boolean);
    if (new Set(words).size !== words.length) throw bad(file, i, entry, `repeats '${words[0]}'`);
    if (option !== null && typeof option !== 'string' && typeof option !== 'number') {
      throw bad(file, i, entry, 'must name one option (a config name) or null');
    }
    out.push({
      kind: 'group',
      group: m[2]!,
      ...(m[3] !== undefined ? { pkg: m[3] } : {}),
      option: option === null ? null : String(option),
      optional: words.includes('optional'),
      override: words.includes('override'),
    });
  });
  return out;
}
