// A hand-written parser for Hydra's override grammar (hydra.cc "Override grammar", basic and
// extended): `key=v`, `+key=v`, `++key=v`, `~key[=v]`, `group@pkg=option`, and sweeps
// `a,b,c`, `choice(..)`, `range(..)`, `glob(..)`. Values are typed as Hydra types them.

import { ConfigError } from './errors.js';
import { deepEqual } from './path.js';
import type { ConfigObject, ConfigValue } from './types.js';

export type OverrideValue =
  | { kind: 'value'; value: ConfigValue }
  /** `a,b,c`, `choice(a,b)` or `range(start,stop,step)`: one job per value. */
  | { kind: 'sweep'; values: ConfigValue[] }
  /** `glob(include, exclude=..)`: the options of a config group whose names match. */
  | { kind: 'glob'; include: string[]; exclude: string[] };

export interface Override {
  /** set: `key=v` (must exist); add: `+key=v` (must not exist); force: `++key=v`; delete: `~key[=v]`. */
  op: 'set' | 'add' | 'force' | 'delete';
  /** `a.b` for a config key, `model` or `server/db` for a config group. */
  key: string;
  /** The package of a group override (`group@pkg=option`). */
  pkg?: string;
  /** Undefined only for `~key`. */
  value?: OverrideValue;
  input: string;
}

const FORMS =
  'the forms are key=value, +key=value (add a key), ++key=value (add or override), ~key or ~key=value (delete), ' +
  'group=option, +group=option; sweeps key=a,b,c, key=choice(a,b), key=range(start,stop[,step]), group=glob(pattern[,exclude=pattern]); ' +
  "values 1, 3e-4, inf, nan, true, null, 'quoted', \"quoted\", unquoted text, [1,2], {a:1,b:x}";

const FUNCTIONS = ['choice', 'range', 'glob'];

class ParseError extends Error {
  constructor(message: string, readonly pos: number) { super(message); }
}

const INT = /^[+-]?\d(?:_?\d)*$/;
const FLOAT = /^[+-]?(?:\d(?:_?\d)*\.(?:\d(?:_?\d)*)?|\.\d(?:_?\d)*|\d(?:_?\d)*)(?:[eE][+-]?\d+)?$/;

/** Types an unquoted primitive the way Hydra does: int, float (incl. inf/nan), bool, null, else string. */
export function typePrimitive(text: string): ConfigValue {
  const t = text.trim();
  if (INT.test(t)) return Number(t.replace(/_/g, ''));
  if (FLOAT.test(t)) return Number(t.replace(/_/g, ''));
  if (/^[+]?inf$/i.test(t)) return Infinity;
  if (/^-inf$/i.test(t)) return -Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^true$/i.test(t)) return true;
  if (/^false$/i.test(t)) return false;
  if (/^null$/i.test(t)) return null;
  return t;
}

type Element = OverrideValue;

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string, pos = this.pos): never {
    const found = pos >= this.text.length ? 'the end' : `'${this.text[pos]}'`;
    throw new ParseError(`expected ${what}, found ${found}`, pos);
  }
  /** A semantic error (the text parsed, but means nothing valid). */
  bad(message: string, pos: number): never { throw new ParseError(message, pos); }
  ws(): void { while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++; }
  peek(): string | undefined { return this.text[this.pos]; }
  eat(c: string): boolean {
    this.ws();
    if (this.text.startsWith(c, this.pos)) { this.pos += c.length; return true; }
    return false;
  }

  override(): Omit<Override, 'input'> {
    this.ws();
    let op: Override['op'] = 'set';
    if (this.eat('~')) op = 'delete';
    else if (this.eat('++')) op = 'force';
    else if (this.eat('+')) op = 'add';
    this.ws();
    const m = /^[\w\-./]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('a key such as optim.lr or a group such as model');
    const key = m[0];
    if (/^[./]|[./]$|\.\.|\/\//.test(key)) this.fail(`a key without empty parts, got '${key}'`);
    this.pos += key.length;
    let pkg: string | undefined;
    if (this.eat('@')) {
      const p = /^[\w\-.]*/.exec(this.text.slice(this.pos))![0];
      this.pos += p.length;
      pkg = p;
    }
    this.ws();
    if (this.pos >= this.text.length && op === 'delete') return { op, key, ...(pkg !== undefined ? { pkg } : {}) };
    if (!this.eat('=')) this.fail("'='");
    const value = this.value();
    return { op, key, ...(pkg !== undefined ? { pkg } : {}), value };
  }

  value(): OverrideValue {
    this.ws();
    // `key=` sets the empty string, as in Hydra.
    if (this.pos >= this.text.length) return { kind: 'value', value: '' };
    const start = this.pos;
    const items = [this.element(true)];
    while (this.eat(',')) items.push(this.element(false));
    this.ws();
    if (this.pos < this.text.length) this.fail(items.length > 1 || items[0]!.kind === 'value' ? "',' or the end of the override" : 'the end of the override');
    if (items.length === 1) return items[0]!;
    if (items.some((i) => i.kind !== 'value')) this.fail('plain values in a comma sweep (write choice(...) alone)', start);
    return { kind: 'sweep', values: items.map((i) => (i as { value: ConfigValue }).value) };
  }

  element(allowFunction: boolean): Element {
    this.ws();
    const c = this.peek();
    if (c === '[') return { kind: 'value', value: this.list() };
    if (c === '{') return { kind: 'value', value: this.dict() };
    if (c === "'" || c === '"') return { kind: 'value', value: this.quoted() };
    const fn = /^([A-Za-z_]\w*)\s*\(/.exec(this.text.slice(this.pos));
    if (fn) {
      if (!allowFunction) this.fail('a plain value (sweep functions stand alone)');
      return this.call(fn[1]!, fn[0].length);
    }
    return { kind: 'value', value: this.primitive() };
  }

  /** A single value inside a list, dict or function argument (no sweeps there). */
  item(): ConfigValue {
    const e = this.element(false);
    return (e as { value: ConfigValue }).value;
  }

  primitive(stopAtColon = false): ConfigValue {
    const start = this.pos;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\\' && this.pos + 1 < this.text.length) { out += this.text[this.pos + 1]; this.pos += 2; continue; }
      if (c === '$' && this.text[this.pos + 1] === '{') { const end = this.interpolationEnd(); out += this.text.slice(this.pos, end); this.pos = end; continue; }
      if (',[]{}()\'"'.includes(c) || (stopAtColon && c === ':')) break;
      out += c;
      this.pos++;
    }
    if (out.trim() === '') this.fail('a value', start);
    return typePrimitive(out);
  }

  interpolationEnd(): number {
    let depth = 0;
    for (let i = this.pos; i < this.text.length; i++) {
      if (this.text.startsWith('${', i)) { depth++; i++; } else if (this.text[i] === '}' && --depth === 0) return i + 1;
    }
    this.fail("'}' closing the interpolation", this.text.length);
  }

  quoted(): string {
    const q = this.text[this.pos]!;
    const start = this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++]!;
      if (c === '\\' && (this.text[this.pos] === q || this.text[this.pos] === '\\')) out += this.text[this.pos++];
      else if (c === q) return out;
      else out += c;
    }
    this.fail(`${q} closing the string opened at column ${start + 1}`, this.text.length);
  }

  list(): ConfigValue[] {
    this.pos++;
    const out: ConfigValue[] = [];
    if (this.eat(']')) return out;
    do out.push(this.item()); while (this.eat(','));
    if (!this.eat(']')) this.fail("',' or ']'");
    return out;
  }

  dict(): ConfigObject {
    this.pos++;
    const out: ConfigObject = {};
    if (this.eat('}')) return out;
    do {
      this.ws();
      const k = /^[\w\-.$]+/.exec(this.text.slice(this.pos));
      if (!k) this.fail('a key in the dict');
      this.pos += k[0].length;
      if (!this.eat(':')) this.fail("':' after the dict key");
      out[k[0]] = this.item();
    } while (this.eat(','));
    if (!this.eat('}')) this.fail("',' or '}'");
    return out;
  }

  call(name: string, headLen: number): Element {
    const at = this.pos;
    if (!FUNCTIONS.includes(name)) {
      const why = name === 'interval' || name === 'tag' ? ` (${name}() is only for optimizing sweepers)` : '';
      this.bad(`unknown function ${name}()${why}; the sweep functions are ${FUNCTIONS.map((f) => `${f}()`).join(', ')}`, at);
    }
    this.pos += headLen;
    const args: ConfigValue[] = [];
    const named: Record<string, ConfigValue> = {};
    if (!this.eat(')')) {
      do {
        this.ws();
        const n = /^([A-Za-z_]\w*)\s*=/.exec(this.text.slice(this.pos));
        if (n) { this.pos += n[0].length; named[n[1]!] = this.item(); }
        else if (Object.keys(named).length) this.fail('a named argument (positional ones come first)');
        else args.push(this.item());
      } while (this.eat(','));
      if (!this.eat(')')) this.fail(`',' or ')' closing ${name}(`);
    }
    if (name === 'choice') {
      if (args.length === 0 || Object.keys(named).length) this.bad('choice() takes one or more values: choice(a, b, ...)', at);
      return { kind: 'sweep', values: args };
    }
    if (name === 'range') return { kind: 'sweep', values: this.range(args, named, at) };
    return this.glob(args, named, at);
  }

  range(args: ConfigValue[], named: Record<string, ConfigValue>, at: number): number[] {
    const all = [...args];
    for (const [k, i] of [['start', 0], ['stop', 1], ['step', 2]] as const) if (k in named) all[i] = named[k]!;
    if (all.length === 1) all.unshift(0);
    const [start, stop, step = 1] = all;
    if (all.length > 3 || Object.keys(named).some((k) => !['start', 'stop', 'step'].includes(k))) this.bad('range() takes range(stop), range(start, stop) or range(start, stop, step)', at);
    if (typeof start !== 'number' || typeof stop !== 'number' || typeof step !== 'number' || ![start, stop, step].every(Number.isFinite)) {
      this.bad('range() takes finite numbers: range(start, stop[, step])', at);
    }
    if (step === 0) this.bad('range() step must not be 0', at);
    // Stop is exclusive; the small tolerance keeps float steps (0.1) from adding a value at `stop`.
    const n = Math.max(0, Math.ceil((stop - start) / step - 1e-9));
    if (n === 0) this.bad(`range(${start}, ${stop}, ${step}) is empty (stop is exclusive)`, at);
    if (n > 100000) this.bad(`range() gives ${n} values; at most 100000 are allowed`, at);
    // Rounding to 12 significant digits turns 0.1*3 = 0.30000000000000004 back into 0.3.
    return Array.from({ length: n }, (_, i) => Number((start + i * step).toPrecision(12)));
  }

  glob(args: ConfigValue[], named: Record<string, ConfigValue>, at: number): Element {
    const strings = (v: ConfigValue | undefined): string[] | undefined =>
      v === undefined ? [] : typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
    const include = strings(named.include ?? args[0]);
    const exclude = strings(named.exclude ?? args[1]);
    if (!include?.length || !exclude || args.length > 2 || Object.keys(named).some((k) => k !== 'include' && k !== 'exclude')) {
      this.bad('glob() takes glob(pattern) or glob(pattern, exclude=pattern), patterns being strings or lists of strings', at);
    }
    return { kind: 'glob', include, exclude };
  }
}

/** Parses one override; errors point at the column and list the forms. */
export function parseOverride(input: string): Override {
  const p = new Parser(input);
  try {
    return { ...p.override(), input };
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    throw new ConfigError(
      `cannot parse override '${input}': ${e.message} at column ${e.pos + 1}\n  ${input}\n  ${' '.repeat(e.pos)}^\n${FORMS}`,
    );
  }
}

/** Prints a value in override syntax, so that parseOverride reads back the same value. */
export function formatOverrideValue(v: ConfigValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  if (Array.isArray(v)) return `[${v.map(formatOverrideValue).join(',')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}:${formatOverrideValue(x)}`).join(',')}}`;
  // Bare when it reads back as the same string; quoted otherwise ('1', 'true', 'a,b', ' x').
  try {
    const back = new Parser(v);
    const got = back.element(false);
    back.ws();
    if (back.pos === v.length && got.kind === 'value' && deepEqual(got.value, v)) return v;
  } catch { /* not readable bare */ }
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The override text for one value of a sweep: same prefix, key and package. */
export function formatOverride(o: Override, value: ConfigValue): string {
  const prefix = o.op === 'delete' ? '~' : o.op === 'force' ? '++' : o.op === 'add' ? '+' : '';
  return `${prefix}${o.key}${o.pkg !== undefined ? `@${o.pkg}` : ''}=${formatOverrideValue(value)}`;
}
