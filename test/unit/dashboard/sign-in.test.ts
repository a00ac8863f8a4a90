import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../dashboard/src/api.js';
import { keyProblem, signInFailure } from '../../../dashboard/src/sign-in.js';

describe('the sign-in messages', () => {
  it('tell a wrong or write key, a rate limit, a server error and no answer apart', () => {
    // Prepare
    const failures = [
      new ApiError(401, 'unknown API key'),
      new ApiError(403, 'a write key cannot read'),
      new ApiError(429, 'too many requests'),
      new ApiError(503, 'service unavailable'),
      new TypeError('Failed to fetch'),
    ];

    // Act
    const messages = failures.map(signInFailure);

    // Assess
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).toContain('not a read key');
    expect(messages[2]).toContain('Too many requests');
    expect(messages[3]).toContain('HTTP 503');
    expect(messages[4]).toContain('did not answer');
    expect(new Set(messages).size).toBe(4);
  });

  it('refuse, before sending it, a key with a character no key has, without repeating the key', () => {
    // Prepare: a key copied with a zero-width space, a non-breaking space inside, a newline
    const key = 'rk_daFDjd51ZkfHSXL6VcYg_ENZ';
    const copied = [`${key}\u200b`, `rk_\u00a0${key.slice(3)}`, `${key.slice(0, 9)}\n${key.slice(9)}`];

    // Act
    const problems = copied.map(keyProblem);

    // Assess
    expect(keyProblem(key)).toBeUndefined();
    for (const problem of problems) {
      expect(problem).toContain('a character no key has');
      expect(problem).not.toContain(key.slice(3, 12));
    }
  });
});
