// Test helpers: temp config folders and assertions on ConfigError messages.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/index.js';

/** Writes `files` (relative path -> text) into a fresh temp folder and returns the folder. */
export function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sous-config-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** Asserts `fn` throws a ConfigError whose message contains every fragment; returns the message. */
export function throwsConfig(fn: () => unknown, ...fragments: (string | RegExp)[]): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
      else assert.match(e.message, f);
    }
    return e.message;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}
