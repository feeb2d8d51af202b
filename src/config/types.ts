// The value model shared by every config module: plain JSON-like data, so configs can be printed,
// compared and validated without class instances getting in the way.

export type ConfigValue = null | boolean | number | string | ConfigValue[] | ConfigObject;
export interface ConfigObject { [key: string]: ConfigValue }

/** OmegaConf's marker for a mandatory value that must be given before the config is used. */
export const MISSING = '???';

export function isObject(v: unknown): v is ConfigObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
