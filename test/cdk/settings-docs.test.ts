/**
 * docs/deploy.md lists every deployment setting with its default: a reader sizes a stage from that
 * table, so it must say what `DEFAULT_SETTINGS` does.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../lib/stacks/pipeline-settings.js';

/** `setting -> default` from the table rows (`| \`a\` / \`b\` | \`1\` / \`2\` | ... |`). */
function documentedDefaults(): Map<string, string> {
  const text = readFileSync(resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');
  const defaults = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [, names = '', values = ''] = line.split('|');
    const keys = [...names.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1] as string);
    const shown = [...values.matchAll(/`([^`]*)`/g)].map((match) => match[1] as string);
    if (keys.length === 0) continue;
    keys.forEach((key, index) => {
      defaults.set(key, shown[index] ?? values.trim());
    });
  }
  return defaults;
}

describe('docs/deploy.md settings table', () => {
  const documented = documentedDefaults();

  it.each(Object.entries(DEFAULT_SETTINGS))('gives %s its default', (key, value) => {
    const expected = value === undefined ? 'unset' : Array.isArray(value) ? value.join(',') : String(value);
    expect(documented.get(key)).toBe(expected);
  });
});
