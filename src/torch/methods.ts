// Attaches the generated ops to Tensor.prototype (x.add(y), x.add_(y)) and builds the functional
// namespace (torch.add(x, y)). The typings come from gen/ops.ts.

import { caller } from './dispatch.js';
import { FUNCTION_NAMES, METHOD_NAMES, type GeneratedFunctions } from './gen/ops.js';
import { Tensor } from './tensor.js';

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of METHOD_NAMES) {
  if (Object.prototype.hasOwnProperty.call(proto, name)) continue; // hand-written wins
  const c = caller(name);
  Object.defineProperty(proto, name, {
    value: function (this: Tensor, ...args: unknown[]) {
      return c(args, this);
    },
    writable: true,
    configurable: true,
  });
}

export const functions: GeneratedFunctions = (() => {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of FUNCTION_NAMES) {
    const c = caller(name);
    out[name] = (...args: unknown[]) => c(args);
  }
  return out as unknown as GeneratedFunctions;
})();
