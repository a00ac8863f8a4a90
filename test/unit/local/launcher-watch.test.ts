import { describe, expect, it } from 'vitest';
import { launcherChain, type ProcessEntry } from '../../../local/launcher-watch.js';

/** A process table: pid -> [parent, name]. */
const table =
  (entries: Record<number, [number, string]>) =>
  (pid: number): ProcessEntry | undefined => {
    const entry = entries[pid];
    return entry ? { ppid: entry[0], name: entry[1] } : undefined;
  };

describe('launcherChain', () => {
  it('watches every launcher up to npm, not the shell above it', () => {
    // Prepare: bash -> npm start -> sh -> tsx (node) -> the stack (node)
    const lookup = table({
      50: [40, 'node'],
      40: [30, 'node'],
      30: [20, 'sh'],
      20: [10, 'npm start'],
      10: [1, 'bash'],
    });

    // Act
    const chain = launcherChain(50, lookup);

    // Assess
    expect(chain).toEqual([40, 30, 20]);
  });

  it('watches only the direct parent without npm in the chain', () => {
    expect(launcherChain(50, table({ 50: [40, 'node'], 40: [10, 'node'], 10: [1, 'bash'] }))).toEqual([40]);
  });

  it('watches nothing it cannot read', () => {
    expect(launcherChain(50, table({}))).toEqual([]);
  });
});
