// Composition: walks the Defaults List tree from the primary config, picks one option per config
// group (file default < `override` entries in files < command-line group overrides), and merges
// every config's own content at its package in Defaults List order (later wins).

import fs from 'node:fs';
import path from 'node:path';
import { type DefaultEntry, parseDefaults } from './defaults.js';
import { ConfigError, didYouMean } from './errors.js';
import { joinPath, mergeInto, setPath } from './path.js';
import { type ConfigObject, isObject } from './types.js';
import { packageHeader, parseYaml } from './yaml.js';

/** A command-line override that targets the Defaults List (`model=resnet`, `+experiment=fast`, `~db`). */
export interface GroupOverride {
  op: 'set' | 'add' | 'force' | 'delete';
  /** Group path relative to the config folder, e.g. `model` or `server/db`. */
  group: string;
  pkg?: string;
  /** The option; undefined only for `~group` without a value. */
  option?: string | null;
  /** The override as the user wrote it, for messages. */
  input: string;
}

export interface Composed {
  config: ConfigObject;
  /** Group (with `@pkg` when one was given) -> option chosen; null for `group: null`. */
  choices: Record<string, string | null>;
}

interface ConfigFile { file: string; content: ConfigObject; header?: string; defaults: DefaultEntry[] }

function loadFile(file: string, cache: Map<string, ConfigFile>): ConfigFile {
  let cf = cache.get(file);
  if (cf) return cf;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  const raw = parseYaml(text, file) ?? {};
  if (!isObject(raw)) throw new ConfigError(`${file}: a config file must hold a mapping at the top level, not ${JSON.stringify(raw)}`);
  const { defaults, ...content } = raw;
  const header = packageHeader(text);
  cf = { file, content, defaults: parseDefaults(defaults, file), ...(header !== undefined ? { header } : {}) };
  cache.set(file, cf);
  return cf;
}

/** The option names of a config group: the `.yaml` files in its folder. */
export function groupOptions(configDir: string, group: string): string[] {
  try {
    return fs.readdirSync(path.join(configDir, group)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

export function isGroup(configDir: string, group: string): boolean {
  try {
    return fs.statSync(path.join(configDir, group)).isDirectory();
  } catch {
    return false;
  }
}

const dotted = (p: string) => p.split('/').filter(Boolean).join('.');
const groupKey = (group: string, pkg?: string) => (pkg === undefined ? group : `${group}@${pkg}`);

/** `_global_` makes a package absolute; anything else is relative to the containing config's package. */
function resolvePkg(pkg: string, parentPkg: string): string {
  if (pkg === '_global_') return '';
  if (pkg.startsWith('_global_.')) return pkg.slice('_global_.'.length);
  return joinPath(parentPkg, pkg);
}

/** A `# @package` header is absolute (`_global_` is the root). */
function headerPkg(header: string, defaultPkg: string): string {
  if (header === '_global_' || header === '') return '';
  if (header.startsWith('_global_.')) return header.slice('_global_.'.length);
  if (header === '_group_') return defaultPkg;
  return header;
}

interface Found { option: string | null; file: string }

class Walk {
  readonly cache = new Map<string, ConfigFile>();
  /** Group defaults met in the tree (override entries excluded) with the option chosen. */
  groups = new Map<string, { option: string | null; file: string; appended: boolean }>();
  /** `override` entries met in the tree, later ones winning. */
  found = new Map<string, Found>();
  deleted = new Set<string>();
  items: { pkg: string; content: ConfigObject }[] = [];
  stack: string[] = [];

  constructor(
    readonly dir: string,
    readonly cli: Map<string, GroupOverride>,
    readonly fileOverrides: Map<string, Found>,
  ) {}

  expand(cf: ConfigFile, groupDir: string, pkg: string, appended: DefaultEntry[] = []): void {
    if (this.stack.includes(cf.file)) {
      throw new ConfigError(`defaults list cycle: ${[...this.stack, cf.file].map((f) => path.relative(this.dir, f)).join(' -> ')}`);
    }
    this.stack.push(cf.file);
    let selfAt = cf.defaults.findIndex((e) => e.kind === 'self');
    // Hydra 1.1: without an explicit _self_ a config's own content comes after its defaults.
    if (selfAt < 0) selfAt = cf.defaults.length;
    const entries = [...cf.defaults];
    if (selfAt === cf.defaults.length) entries.push({ kind: 'self' });
    entries.push(...appended);
    entries.forEach((e, i) => {
      if (e.kind === 'self') this.items.push({ pkg, content: cf.content });
      else if (e.kind === 'config') this.expandConfig(cf, e, groupDir, pkg);
      else this.expandGroup(cf, e, groupDir, pkg, i >= entries.length - appended.length);
    });
    this.stack.pop();
  }

  private expandConfig(parent: ConfigFile, e: Extract<DefaultEntry, { kind: 'config' }>, groupDir: string, pkg: string): void {
    const abs = e.name.startsWith('/');
    const rel = abs ? e.name.slice(1) : path.posix.join(groupDir, e.name);
    const file = path.join(this.dir, `${rel}.yaml`);
    if (!fs.existsSync(file)) {
      const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
      throw new ConfigError(
        `${parent.file}: defaults entry '${e.name}' names ${file}, which does not exist` +
          didYouMean(path.posix.basename(rel), groupOptions(this.dir, dir)),
      );
    }
    const child = loadFile(file, this.cache);
    const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    const relDir = path.posix.dirname(e.name) === '.' ? '' : path.posix.dirname(e.name);
    const defaultPkg = abs ? dotted(dir) : joinPath(pkg, dotted(relDir));
    const childPkg = e.pkg !== undefined ? resolvePkg(e.pkg, pkg) : child.header !== undefined ? headerPkg(child.header, defaultPkg) : defaultPkg;
    this.expand(child, dir, childPkg);
  }

  private expandGroup(parent: ConfigFile, e: Extract<DefaultEntry, { kind: 'group' }>, groupDir: string, pkg: string, appended: boolean): void {
    const abs = e.group.startsWith('/');
    const group = abs ? e.group.slice(1) : path.posix.join(groupDir, e.group);
    const key = groupKey(group, e.pkg);
    if (e.override) {
      this.found.set(key, { option: e.option, file: parent.file });
      return;
    }
    const prev = this.groups.get(key);
    if (prev) {
      throw new ConfigError(
        appended
          ? `cannot append +${key}: '${key}' is already in the defaults list (option ${prev.option}, from ${prev.file}); use ${key}=<option> to change it`
          : `${parent.file}: '${key}' is already in the defaults list (from ${prev.file}); write 'override ${e.group}: ${e.option}' to change its option`,
      );
    }
    const cli = this.cli.get(key);
    let option = e.option;
    let source = `in defaults of ${parent.file}`;
    const fo = this.fileOverrides.get(key);
    if (fo) { option = fo.option; source = `override in ${fo.file}`; }
    if (cli && !appended && cli.op !== 'add') {
      if (cli.op === 'delete') {
        if (cli.option !== undefined && cli.option !== option) {
          throw new ConfigError(`cannot delete ${cli.input}: the option chosen for '${key}' is ${option}, not ${cli.option}`);
        }
        this.deleted.add(key);
        return;
      }
      option = cli.option ?? null;
      source = `from override ${cli.input}`;
    }
    this.groups.set(key, { option, file: parent.file, appended });
    if (option === null) return;
    const file = path.join(this.dir, group, `${option}.yaml`);
    if (!fs.existsSync(file)) {
      if (e.optional) return;
      const options = groupOptions(this.dir, group);
      throw new ConfigError(
        `could not find '${group}/${option}' (${source})${didYouMean(option, options)}; ` +
          (options.length ? `the options for '${group}' are ${options.join(', ')}` : `there is no config group folder ${path.join(this.dir, group)}`),
      );
    }
    const child = loadFile(file, this.cache);
    const defaultPkg = abs ? dotted(group) : joinPath(pkg, dotted(e.group));
    const childPkg = e.pkg !== undefined ? resolvePkg(e.pkg, pkg) : child.header !== undefined ? headerPkg(child.header, defaultPkg) : defaultPkg;
    this.expand(child, group, childPkg);
  }
}

function sameFound(a: Map<string, Found>, b: Map<string, Found>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k)?.option === v.option);
}

/**
 * Composes the primary config at `primaryPath` with its Defaults List. `groupOverrides` are the
 * command-line overrides that target config groups. The result has no `defaults` key.
 */
export function composeConfig(primaryPath: string, groupOverrides: readonly GroupOverride[] = []): Composed {
  const file = path.resolve(primaryPath);
  const dir = path.dirname(file);
  const cli = new Map<string, GroupOverride>();
  for (const o of groupOverrides) cli.set(groupKey(o.group, o.pkg), o);
  const cache = new Map<string, ConfigFile>();
  let fileOverrides = new Map<string, Found>();
  const forceAppend = new Set<string>();
  // `override` entries can sit in configs that are themselves chosen by a group (the experiment
  // pattern), so the choices are recomputed until the set of overrides found stops changing.
  for (let round = 0; ; round++) {
    const walk = new Walk(dir, cli, fileOverrides);
    for (const [k, v] of cache) walk.cache.set(k, v);
    const appended: DefaultEntry[] = [...cli.values()]
      .filter((o) => o.op === 'add' || (o.op === 'force' && forceAppend.has(groupKey(o.group, o.pkg))))
      .map((o) => ({ kind: 'group', group: `/${o.group}`, ...(o.pkg !== undefined ? { pkg: `_global_.${o.pkg}` } : {}), option: o.option ?? null, optional: false, override: false }));
    walk.expand(loadFile(file, walk.cache), '', '', appended);
    for (const [k, v] of walk.cache) cache.set(k, v);
    let changed = false;
    for (const [k, o] of cli) {
      if (o.op === 'force' && !walk.groups.has(k) && !forceAppend.has(k)) { forceAppend.add(k); changed = true; }
    }
    if (!sameFound(walk.found, fileOverrides)) { fileOverrides = walk.found; changed = true; }
    if (changed) {
      if (round >= 10) throw new ConfigError(`the defaults list does not settle: its 'override' entries keep changing each other's choices (${[...walk.found.keys()].join(', ')})`);
      continue;
    }
    return finish(walk, cli);
  }
}

function finish(walk: Walk, cli: Map<string, GroupOverride>): Composed {
  const keys = [...walk.groups.keys()];
  for (const [k, o] of cli) {
    if ((o.op === 'set' || o.op === 'delete') && !walk.groups.has(k) && !walk.deleted.has(k)) {
      throw new ConfigError(
        `cannot override '${k}' (from ${o.input}): '${k}' is not in the defaults list${didYouMean(k, keys)}` +
          (o.op === 'set' ? `; to append it write +${o.input}` : ''),
      );
    }
  }
  for (const [k, f] of walk.found) {
    if (!walk.groups.has(k) && !walk.deleted.has(k)) {
      throw new ConfigError(`${f.file}: 'override ${k}' has nothing to override: '${k}' is not in the defaults list${didYouMean(k, keys)}; drop 'override' to add it`);
    }
  }
  const config: ConfigObject = {};
  for (const { pkg, content } of walk.items) {
    if (pkg === '') mergeInto(config, content);
    else {
      const wrapped: ConfigObject = {};
      setPath(wrapped, pkg, content);
      mergeInto(config, wrapped);
    }
  }
  const choices: Record<string, string | null> = {};
  for (const [k, v] of walk.groups) choices[k] = v.option;
  return { config, choices };
}
