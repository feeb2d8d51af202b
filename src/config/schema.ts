// Schema validation with zod: the typed value back, or one ConfigError naming every bad key by
// its dotted path. Use z.strictObject for mappings so misspelt keys are reported, not dropped.

import type { z } from 'zod';
import { ConfigError, didYouMean } from './errors.js';
import { getPath } from './path.js';
import type { ConfigValue } from './types.js';

/** The part of zod's internal schema definition this module reads to list an object's keys. */
interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  valueType?: { _zod: { def: Def } };
  getter?: () => { _zod: { def: Def } };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional', 'success']);

function unwrap(def: Def | undefined): Def | undefined {
  for (let i = 0; def && i < 50; i++) {
    if (WRAPPERS.has(def.type)) def = def.innerType?._zod.def;
    else if (def.type === 'pipe') def = def.in?._zod.def;
    else if (def.type === 'lazy') def = def.getter?.()._zod.def;
    else return def;
  }
  return def;
}

/** The keys the schema allows for the mapping at `path`, when the schema there is an object. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let def = unwrap((schema as unknown as { _zod: { def: Def } })._zod.def);
  for (const seg of path) {
    if (!def) return undefined;
    if (def.type === 'object') def = unwrap(def.shape?.[String(seg)]?._zod.def);
    else if (def.type === 'array') def = unwrap(def.element?._zod.def);
    else if (def.type === 'record') def = unwrap(def.valueType?._zod.def);
    else return undefined;
  }
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

const EXPECTED: Record<string, string> = {
  number: 'a number', int: 'an integer', string: 'a string', boolean: 'a boolean (true or false)',
  object: 'a mapping', array: 'a list', null: 'null', record: 'a mapping', tuple: 'a list', bigint: 'an integer',
};

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list ${JSON.stringify(v)}`;
  if (typeof v === 'object' && v !== null) return 'a mapping';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : String(v);
  return JSON.stringify(v);
}

type Issue = z.core.$ZodIssue;

function describe(issue: Issue, config: ConfigValue, schema: z.ZodType): string[] {
  const path = issue.path.map(String).join('.');
  const at = path || '(root)';
  const got = getPath(config, issue.path.map(String));
  switch (issue.code) {
    case 'invalid_type': {
      const want = EXPECTED[issue.expected] ?? issue.expected;
      return [got === undefined ? `${at}: missing (expected ${want})` : `${at}: expected ${want}, got ${show(got)}`];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const hint = typeof got === 'string' ? didYouMean(got, values) : '';
      return [values.length === 1 ? `${at}: must be ${values[0]}, got ${show(got)}` : `${at}: must be one of ${values.join(', ')}, got ${show(got)}${hint}`];
    }
    case 'unrecognized_keys': {
      const allowed = keysAt(schema, issue.path) ?? [];
      const owner = path || 'the config root';
      return issue.keys.map((k) => {
        const full = path ? `${path}.${k}` : k;
        const list = allowed.length ? `; the keys are ${allowed.join(', ')}` : '';
        return `${full} is not a key of ${owner}${list}${didYouMean(k, allowed)}`;
      });
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      const inclusive = issue.inclusive !== false;
      const rel = small ? (inclusive ? 'at least' : 'more than') : (inclusive ? 'at most' : 'less than');
      if (issue.origin === 'array' || issue.origin === 'set') return [`${at}: must have ${rel} ${bound} items, got ${Array.isArray(got) ? got.length : show(got)}`];
      if (issue.origin === 'string') return [`${at}: must be ${rel} ${bound} characters long, got ${show(got)}`];
      const op = small ? (inclusive ? '>=' : '>') : (inclusive ? '<=' : '<');
      return [`${at}: must be ${op} ${bound}, got ${show(got)}`];
    }
    case 'invalid_union':
      return [`${at}: does not match any allowed form, got ${show(got)}`];
    default:
      return [`${at}: ${issue.message}, got ${show(got)}`];
  }
}

/**
 * Validates `config` against a zod schema and returns zod's parsed (typed) value. On failure throws
 * a ConfigError listing every problem, one per line, each starting with the key's dotted path.
 */
export function validateConfig<S extends z.ZodType>(config: ConfigValue, schema: S): z.output<S> {
  const r = schema.safeParse(config);
  if (r.success) return r.data;
  const lines = r.error.issues.flatMap((i) => describe(i, config, schema));
  throw new ConfigError(`invalid config (${lines.length} problem${lines.length > 1 ? 's' : ''}):\n  ${lines.join('\n  ')}`, lines);
}
