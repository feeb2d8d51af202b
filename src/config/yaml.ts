// YAML in and out. Parsing goes through the `yaml` package's document API so syntax errors carry
// a line and column, and the result is checked to be plain config data (no binary, sets, dates).

import fs from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { ConfigError } from './errors.js';
import { joinPath } from './path.js';
import { type ConfigValue, isObject } from './types.js';

function checkPlain(v: unknown, file: string, path: string): ConfigValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkPlain(x, file, joinPath(path, i)));
    return v as ConfigValue[];
  }
  if (isObject(v) && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v)) checkPlain(x, file, joinPath(path, k));
    return v;
  }
  const kind = v instanceof Uint8Array ? 'binary data' : v instanceof Set ? 'a set' : v instanceof Map ? 'an ordered map' : typeof v;
  throw new ConfigError(`${file}: ${path || 'the document'} is ${kind}; configs hold only null, booleans, numbers, strings, lists and mappings`);
}

/** Parses YAML text; `file` names the source in error messages. An empty document is null. */
export function parseYaml(text: string, file = '<string>'): ConfigValue {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    // The library's message repeats the position and a snippet; keep its first clause and our own location.
    const reason = err.message.split(/ at line \d+, column \d+/)[0]!;
    throw new ConfigError(`${where}: YAML syntax error: ${reason}\n${err.message.slice(err.message.indexOf(':\n') + 2).trimEnd()}`);
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // e.g. an alias bomb or an unresolvable alias; the library reports these only here.
    throw new ConfigError(`${file}: YAML error: ${(e as Error).message}`);
  }
  return checkPlain(js, file, '');
}

export function readYamlFile(file: string): ConfigValue {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  return parseYaml(text, file);
}

/** The `# @package <pkg>` directive from the comment lines at the top of a config file, if any. */
export function packageHeader(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (!t.startsWith('#')) return undefined;
    const m = /^#\s*@package\s+(\S*)\s*$/.exec(t);
    if (m) return m[1];
  }
  return undefined;
}

/** Prints a config as YAML (block style, no line folding so long strings stay on one line). */
export function toYaml(value: ConfigValue): string {
  return stringify(value, { lineWidth: 0 });
}
