// Option checking for the built-in models: unknown options and bad values throw a ModelConfigError
// that names the model, the option, what it expected and the options allowed.

/** A model's options are wrong: an unknown name or option, a bad value, or a model file that does not load. */
export class ModelConfigError extends Error {
  /** The option at fault, when one is. */
  readonly option: string | undefined;
  /** The names allowed in its place (model names or option names), when that is the fault. */
  readonly allowed: readonly string[] | undefined;
  constructor(message: string, opts: { option?: string; allowed?: readonly string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ModelConfigError';
    this.option = opts.option;
    this.allowed = opts.allowed;
  }
}

/** A value as it was given, for messages. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    if (s !== undefined) return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    // fall through
  }
  return String(v);
}

/** Checks one option's value and returns it, possibly normalised. */
export type Check<T> = (v: unknown, fail: (expected: string) => never) => T;

/**
 * Validates `options` (a plain object or undefined) against `checks`: every key must be known and
 * every value defined there passes its check. Returns the checked values (undefined ones left out).
 */
export function checkOptions<S extends Record<string, Check<unknown>>>(model: string, options: unknown, checks: S): { [K in keyof S]?: ReturnType<S[K]> } {
  const allowed = Object.keys(checks);
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new ModelConfigError(`${model}: options must be an object, got ${show(options)}; allowed options: ${allowed.join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options as Record<string, unknown>)) {
    if (!Object.hasOwn(checks, k)) {
      throw new ModelConfigError(`${model}: unknown option '${k}'; allowed options: ${allowed.join(', ')}`, { option: k, allowed });
    }
    if (v === undefined) continue;
    out[k] = checks[k]!(v, (expected) => {
      throw new ModelConfigError(`${model}: option '${k}' must be ${expected}, got ${show(v)}`, { option: k, allowed });
    });
  }
  return out as { [K in keyof S]?: ReturnType<S[K]> };
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export const posInt: Check<number> = (v, fail) => (isPosInt(v) ? v : fail('a positive integer'));

export const posIntArray = (minLength: number): Check<number[]> => (v, fail) =>
  Array.isArray(v) && v.length >= minLength && v.every(isPosInt) ? [...v] as number[] : fail(`an array of ${minLength > 0 ? `at least ${minLength} ` : ''}positive integers`);

/** A probability in [0, 1). */
export const probability: Check<number> = (v, fail) => (typeof v === 'number' && v >= 0 && v < 1 ? v : fail('a number in [0, 1)'));

export const bool: Check<boolean> = (v, fail) => (typeof v === 'boolean' ? v : fail('true or false'));

export const oneOf = <T extends string>(values: readonly T[]): Check<T> => (v, fail) =>
  typeof v === 'string' && (values as readonly string[]).includes(v) ? v as T : fail(`one of ${values.map((s) => `'${s}'`).join(', ')}`);

/** A number of features or a shape such as [C, H, W]. */
export const shape: Check<number | number[]> = (v, fail) =>
  isPosInt(v) ? v : Array.isArray(v) && v.length > 0 && v.every(isPosInt) ? [...v] as number[] : fail('a positive integer or an array of positive integers such as [1, 28, 28]');

/** A side length or [height, width]. */
export const imageSize: Check<number | [number, number]> = (v, fail) =>
  isPosInt(v) ? v : Array.isArray(v) && v.length === 2 && v.every(isPosInt) ? [v[0], v[1]] as [number, number] : fail('a positive integer or [height, width]');

/** [C, H, W] for image models. */
export const imageShape: Check<[number, number, number]> = (v, fail) =>
  Array.isArray(v) && v.length === 3 && v.every(isPosInt) ? [v[0], v[1], v[2]] as [number, number, number] : fail('[channels, height, width] with positive integers');

/** Throws for a required option that is not there. */
export function required<T>(model: string, option: string, value: T | undefined, allowed: readonly string[]): T {
  if (value === undefined) throw new ModelConfigError(`${model}: option '${option}' is required; allowed options: ${allowed.join(', ')}`, { option, allowed });
  return value;
}
