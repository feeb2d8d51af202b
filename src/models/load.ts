// loadModelFile: a user's model from a .js/.mjs/.cjs file, or a .ts/.mts file compiled on the fly
// with the typescript package's transpileModule (no type check). The file's default export, or its
// export named createModel, is a factory (options) => nn.Module (possibly async) or an nn.Module
// subclass, constructed with the options.
//
// A .ts file is compiled to a hidden sibling (.name.<hash>.<pid>.sous.mjs, deleted once imported), so its
// relative and package imports resolve as they would from the source; relative imports of other .ts
// files ('./blocks.js' next to blocks.ts) are compiled the same way. Imports of 'sous' are pointed
// at this very copy of the library, wherever the file lives, so the model's classes are the
// caller's (instanceof nn.Module holds). When the folder is not writable the compiled file goes to
// os.tmpdir()/sous-models instead; package imports other than 'sous' then resolve from there.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TS from 'typescript';
import { Module, type AnyModule } from '../nn/module.js';
import { ModelConfigError, show } from './options.js';

const JS_EXTS = ['.js', '.mjs', '.cjs'];
const TS_EXTS = ['.ts', '.mts'];

/** This copy of sous's entry point, which compiled model files import for 'sous'. */
const SOUS_ENTRY = new URL('../index.js', import.meta.url).href;

/** Compiled .ts modules of this process (loading or loaded) by source path and text. */
const compiled = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Imports `file` (relative to the working directory) and builds its model with `options`. Throws a
 * ModelConfigError when the file is missing, does not compile or load, has no factory export, or
 * the factory gives something that is not an nn.Module.
 */
export async function loadModelFile(file: string, options: Record<string, unknown> = {}): Promise<AnyModule> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new ModelConfigError(`model file not found: ${abs}${abs !== file ? ` (from '${file}')` : ''}`);
  if (!statSync(abs).isFile()) throw new ModelConfigError(`model file ${abs} is not a file`);
  const ext = extname(abs).toLowerCase();
  let mod: Record<string, unknown>;
  if (JS_EXTS.includes(ext)) {
    mod = await importOrFail(abs, `${pathToFileURL(abs).href}?mtime=${statSync(abs).mtimeMs}`);
  } else if (TS_EXTS.includes(ext)) {
    mod = await importTs(abs);
  } else {
    throw new ModelConfigError(`model file ${abs}: unsupported extension '${ext}'; model files are ${[...JS_EXTS, ...TS_EXTS].join(', ')}`);
  }
  const [exportName, factory] = pickFactory(abs, mod);
  let made: unknown;
  try {
    made = isClass(factory) ? new (factory as new (o: unknown) => unknown)(options) : await (factory as (o: unknown) => unknown)(options);
  } catch (e) {
    if (e instanceof ModelConfigError) throw e;
    throw new ModelConfigError(`model file ${abs}: ${exportName}(options) threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (made instanceof Module) return made as AnyModule;
  const looksLikeModule = typeof made === 'object' && made !== null && ['forward', 'parameters', 'stateDict'].every((k) => typeof (made as Record<string, unknown>)[k] === 'function');
  throw new ModelConfigError(`model file ${abs}: ${exportName} returned ${describe(made)}, not an nn.Module` +
    (looksLikeModule ? "; it looks like a Module from another copy of sous: import nn from 'sous' (or this copy's dist) in the model file" : ''));
}

function pickFactory(abs: string, mod: Record<string, unknown>): [string, unknown] {
  for (const name of ['default', 'createModel']) {
    const f = mod[name];
    if (typeof f === 'function') return [name === 'default' ? `the default export${f.name && f.name !== 'default' ? ` (${f.name})` : ''}` : 'createModel', f];
  }
  const exported = Object.keys(mod);
  const bad = ['default', 'createModel'].filter((n) => mod[n] !== undefined).map((n) => `${n} is ${describe(mod[n])}`);
  throw new ModelConfigError(`model file ${abs} has no default export or export named 'createModel' that is a function ((options) => nn.Module) or an nn.Module subclass` +
    `${bad.length ? `: ${bad.join('; ')}` : ''}; it exports ${exported.length ? exported.join(', ') : 'nothing'}`);
}

function isClass(f: unknown): boolean {
  if (typeof f !== 'function') return false;
  return f.prototype instanceof Module || /^class[\s{]/.test(Function.prototype.toString.call(f));
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return `an object of class ${(v as object).constructor?.name ?? 'Object'}`;
  return `${typeof v} ${show(v)}`;
}

async function importOrFail(abs: string, url: string): Promise<Record<string, unknown>> {
  try {
    return await import(url) as Record<string, unknown>;
  } catch (e) {
    throw new ModelConfigError(`model file ${abs} failed to load: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

async function loadTypescript(abs: string): Promise<typeof TS> {
  try {
    const m = await import('typescript') as typeof TS & { default?: typeof TS };
    return m.default ?? m;
  } catch (e) {
    throw new ModelConfigError(`model file ${abs}: compiling a .ts model file needs the 'typescript' package (${e instanceof Error ? e.message : String(e)}); install it or give a .js file`, { cause: e });
  }
}

async function importTs(abs: string): Promise<Record<string, unknown>> {
  const ts = await loadTypescript(abs);
  const key = `${abs}\0${readFileSync(abs, 'utf8')}`;
  let pending = compiled.get(key);
  if (pending === undefined) {
    pending = (async () => {
      const written: string[] = [];
      try {
        return await importOrFail(abs, pathToFileURL(compileTs(ts, abs, new Map(), written)).href);
      } finally {
        for (const f of written) rmSync(f, { force: true });
      }
    })();
    compiled.set(key, pending);
    pending.catch(() => compiled.delete(key));
  }
  return pending;
}

/** Compiles `abs` (and the relative .ts files it imports) to .mjs files; returns abs's output path. */
function compileTs(ts: typeof TS, abs: string, seen: Map<string, string>, written: string[]): string {
  const done = seen.get(abs);
  if (done !== undefined) return done;
  const source = readFileSync(abs, 'utf8');
  const hash = createHash('sha256').update(abs).update('\0').update(source).update('\0').update(SOUS_ENTRY).digest('hex').slice(0, 12);
  // The process id keeps processes that load the same file at once from deleting each other's output.
  const name = `.${basename(abs).replace(/\.m?ts$/i, '')}.${hash}.${process.pid}.sous.mjs`;
  let out = join(dirname(abs), name);
  seen.set(abs, out);
  const dir = dirname(abs);
  const mapSpecifier = (spec: string): string => {
    if (spec === 'sous') return SOUS_ENTRY;
    if (!spec.startsWith('./') && !spec.startsWith('../')) return spec;
    const target = resolve(dir, spec);
    const tsTarget = tsSourceFor(target);
    if (tsTarget !== undefined) return pathToFileURL(compileTs(ts, tsTarget, seen, written)).href;
    // The output may land in another folder (the fallback): point at the file itself.
    return pathToFileURL(target).href;
  };
  const result = ts.transpileModule(source, {
    fileName: abs,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
      inlineSources: true,
      verbatimModuleSyntax: false,
      esModuleInterop: true,
    },
    transformers: { after: [rewriteSpecifiers(ts, mapSpecifier)] },
  });
  const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    const lines = errors.map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file === undefined || d.start === undefined) return msg;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${abs}:${line + 1}:${character + 1}: ${msg}`;
    });
    throw new ModelConfigError(`model file ${abs} does not compile:\n  ${lines.join('\n  ')}`);
  }
  try {
    writeFileSync(out, result.outputText);
  } catch {
    // Not writable: the cache folder (relative imports are absolute file URLs already).
    const cache = join(tmpdir(), 'sous-models');
    mkdirSync(cache, { recursive: true });
    out = join(cache, name);
    seen.set(abs, out);
    writeFileSync(out, result.outputText);
  }
  written.push(out);
  return out;
}

/** The .ts source a relative import means: './x.js' for x.ts, './x' for x.ts, './x.ts' itself. */
function tsSourceFor(target: string): string | undefined {
  const ext = extname(target).toLowerCase();
  const candidates: string[] = [];
  if (TS_EXTS.includes(ext)) candidates.push(target);
  else if (ext === '.js') candidates.push(`${target.slice(0, -3)}.ts`);
  else if (ext === '.mjs') candidates.push(`${target.slice(0, -4)}.mts`);
  else if (ext === '') candidates.push(`${target}.ts`);
  if (existsSync(target) && !TS_EXTS.includes(ext)) return undefined;
  return candidates.find((c) => existsSync(c));
}

/** A transformer that maps the specifiers of import/export declarations and import('...') calls. */
function rewriteSpecifiers(ts: typeof TS, map: (spec: string) => string): TS.TransformerFactory<TS.SourceFile> {
  return (ctx) => {
    const f = ctx.factory;
    const visit = (node: TS.Node): TS.Node => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, f.createStringLiteral(map(node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
        return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, f.createStringLiteral(map(node.moduleSpecifier.text)), node.attributes);
      }
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length >= 1 && ts.isStringLiteral(node.arguments[0]!)) {
        const [first, ...rest] = node.arguments;
        return f.updateCallExpression(node, node.expression, node.typeArguments, [f.createStringLiteral(map((first as TS.StringLiteral).text)), ...rest.map((a) => ts.visitNode(a, visit) as TS.Expression)]);
      }
      return ts.visitEachChild(node, visit, ctx);
    };
    return (sf) => ts.visitNode(sf, visit) as TS.SourceFile;
  };
}
