// OmegaConf-style interpolation: `${a.b}` (absolute), `${.x}` / `${..x}` (relative to the node's
// parent), `${oc.env:VAR[,default]}`, `\${` for a literal. A value that is exactly one reference
// takes the referenced value with its type; references inside text are inserted as text.
// Values still `???` after resolution are reported together.

import { ConfigError, didYouMean } from './errors.js';
import { allPaths } from './path.js';
import { type ConfigObject, type ConfigValue, isObject, MISSING } from './types.js';

export interface ResolveOptions {
  /** Environment for `${oc.env:...}`; process.env when not given. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Part = { text: string } | { expr: string };

const label = (path: readonly string[]) => (path.length ? path.join('.') : '(root)');

function splitParts(s: string, at: readonly string[]): Part[] {
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < s.length; i++) {
    if (s.startsWith('\\${', i)) { text += '${'; i += 2; continue; }
    if (!s.startsWith('${', i)) { text += s[i]; continue; }
    let depth = 0;
    let end = -1;
    for (let j = i; j < s.length; j++) {
      if (s.startsWith('${', j)) { depth++; j++; } else if (s[j] === '}' && --depth === 0) { end = j; break; }
    }
    if (end < 0) throw new ConfigError(`${label(at)}: unterminated interpolation in ${JSON.stringify(s)}; close it with '}' (or write \\\${ for a literal \${)`);
    if (text) parts.push({ text });
    text = '';
    parts.push({ expr: s.slice(i + 2, end).trim() });
    i = end;
  }
  if (text) parts.push({ text });
  return parts;
}

/** Splits resolver arguments at top-level commas (not inside `${}` or quotes). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) { if (c === quote) quote = ''; } else if (c === "'" || c === '"') quote = c;
    else if (s.startsWith('${', i)) depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out.map((a) => a.trim());
}

const hasInterp = (v: ConfigValue): v is string => typeof v === 'string' && v.includes('${');

class Resolver {
  private readonly memo = new Map<string, ConfigValue>();
  private readonly stack: string[] = [];
  constructor(private readonly root: ConfigObject, private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** Deep-resolves `value`, which sits at `path`. */
  node(value: ConfigValue, path: string[]): ConfigValue {
    if (Array.isArray(value)) return value.map((v, i) => this.node(v, [...path, String(i)]));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.node(v, [...path, k])]));
    if (hasInterp(value)) return this.at(path);
    return value;
  }

  /** The resolved value at `path` (which must exist), memoised and guarded against cycles. */
  private at(path: string[]): ConfigValue {
    const key = path.join('.');
    if (this.memo.has(key)) return this.memo.get(key)!;
    if (this.stack.includes(key)) {
      throw new ConfigError(`interpolation cycle: ${[...this.stack.slice(this.stack.indexOf(key)), key].join(' -> ')}; break it by giving one of these keys a plain value`);
    }
    this.stack.push(key);
    let raw: ConfigValue = this.root;
    for (const seg of path) raw = (Array.isArray(raw) ? raw[Number(seg)] : (raw as ConfigObject)[seg])!;
    const out = hasInterp(raw) ? this.string(raw, path) : this.node(raw, path);
    this.stack.pop();
    this.memo.set(key, out);
    return out;
  }

  private string(s: string, path: string[]): ConfigValue {
    const parts = splitParts(s, path);
    if (parts.length === 1 && 'expr' in parts[0]!) return this.expr(parts[0].expr, path);
    return parts.map((p) => {
      if ('text' in p) return p.text;
      const v = this.expr(p.expr, path);
      if (typeof v === 'object' && v !== null) {
        throw new ConfigError(`${label(path)}: \${${p.expr}} is a ${Array.isArray(v) ? 'list' : 'mapping'} and cannot be inserted into the text ${JSON.stringify(s)}; reference it as the whole value instead`);
      }
      return String(v);
    }).join('');
  }

  private expr(expr: string, path: string[]): ConfigValue {
    const r = /^([A-Za-z_][\w.]*):(.*)$/s.exec(expr);
    if (r) return this.resolver(r[1]!, r[2]!, expr, path);
    return this.reference(expr, path);
  }

  private resolver(name: string, argText: string, expr: string, path: string[]): ConfigValue {
    if (name !== 'oc.env') throw new ConfigError(`${label(path)}: unknown resolver '${name}' in \${${expr}}; the resolvers are oc.env`);
    const [variable = '', ...rest] = splitArgs(argText);
    if (!/^\w+$/.test(variable) || rest.length > 1) {
      throw new ConfigError(`${label(path)}: \${${expr}} is malformed; write \${oc.env:VAR} or \${oc.env:VAR,default}`);
    }
    const v = this.env[variable];
    if (v !== undefined) return v;
    if (rest.length === 0) {
      throw new ConfigError(`${label(path)}: environment variable ${variable} is not set (\${${expr}}); set it or give a default: \${oc.env:${variable},<default>}`);
    }
    const d = rest[0]!;
    if (/^null$/i.test(d)) return null;
    if (/^(['"]).*\1$/s.test(d)) return d.slice(1, -1);
    return hasInterp(d) ? this.string(d, path) : d;
  }

  private reference(ref: string, path: string[]): ConfigValue {
    const dots = /^\.*/.exec(ref)![0].length;
    const rest = ref.slice(dots).replace(/\[(\d+)\]/g, '.$1');
    if (!/^[\w\-$]+(\.[\w\-$]+)*$/.test(rest)) {
      throw new ConfigError(`${label(path)}: \${${ref}} is not a valid reference; write \${a.b} (absolute), \${.b} (sibling) or \${oc.env:VAR}`);
    }
    // One dot is the containing node (the key's parent); each further dot goes one level up.
    if (dots > path.length) throw new ConfigError(`${label(path)}: \${${ref}} goes above the config root`);
    const base = dots === 0 ? [] : path.slice(0, path.length - dots);
    const target = [...base, ...rest.split('.')];
    let raw: ConfigValue | undefined = this.root;
    for (let i = 0; i < target.length; i++) {
      const seg = target[i]!;
      raw = Array.isArray(raw) ? (/^\d+$/.test(seg) ? raw[Number(seg)] : undefined) : isObject(raw) && Object.hasOwn(raw, seg) ? raw[seg] : undefined;
      if (raw === undefined) {
        throw new ConfigError(`${label(path)}: interpolation \${${ref}} refers to ${target.join('.')}, which does not exist${didYouMean(target.join('.'), allPaths(this.root))}`);
      }
      // An interpolation on the way (a: ${b}, then ${a.x}) must be followed through.
      if (hasInterp(raw)) raw = this.at(target.slice(0, i + 1));
    }
    const value = this.node(raw!, target);
    if (value === MISSING) {
      throw new ConfigError(`${label(path)}: interpolation \${${ref}} refers to ${target.join('.')}, which is mandatory (???) and has no value; set it with ${target.join('.')}=<value>`);
    }
    return value;
  }
}

function missingPaths(v: ConfigValue, path: string[], out: string[]): string[] {
  if (v === MISSING) out.push(label(path));
  else if (Array.isArray(v)) v.forEach((x, i) => missingPaths(x, [...path, String(i)], out));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) missingPaths(x, [...path, k], out);
  return out;
}

/** Resolves every interpolation; throws if any value is still `???`. The input is not modified. */
export function resolveConfig(config: ConfigObject, opts: ResolveOptions = {}): ConfigObject {
  const out = new Resolver(config, opts.env ?? process.env).node(config, []) as ConfigObject;
  const missing = missingPaths(out, [], []);
  if (missing.length) {
    throw new ConfigError(
      `missing mandatory value${missing.length > 1 ? 's' : ''} (???): ${missing.join(', ')}; set ${missing.length > 1 ? 'them' : 'it'} with an override such as ${missing[0]}=<value>`,
      missing,
    );
  }
  return out;
}
