import { describe, expect, it } from 'vitest';
import { labelledCount } from '../../../dashboard/src/format.js';

describe('a tooltip naming a user, path or type with its count', () => {
  it('keeps a right-to-left override in the name from running on into the count', () => {
    // Prepare: a user id that reverses whatever follows it
    const name = 'mallory\u202E';

    // Act
    const text = labelledCount(name, 1234);

    // Assess: the name sits between an isolate and its end, so the count after it reads as sent
    expect(text.startsWith(`\u2068${name}\u2069: `)).toBe(true);
    expect(text.endsWith('1,234')).toBe(true);
  });
});
