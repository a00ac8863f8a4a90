/**
 * What the sign-in form says when it cannot sign in: each failure its own sentence, so a person knows
 * whether to check the key, wait, or try again (a 429 is not "did not answer"). Never the key itself.
 */
import { ApiError } from './api.js';

/** Keys are `rk_`/`wk_` and base64url: printable ASCII. */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * Why `key` cannot be a key, before it is sent: a browser refuses to send a header with a character
 * beyond Latin-1 (a zero-width space copied with the key) and would fail as if offline.
 */
export function keyProblem(key: string): string | undefined {
  return KEY_CHARACTERS.test(key)
    ? undefined
    : 'That key has a character no key has (a space or an invisible character copied with it?).';
}

/** The sentence for a failed sign-in. */
export function signInFailure(error: unknown): string {
  if (!(error instanceof ApiError)) return 'The stats API did not answer. Try again in a moment.';
  if (error.status === 401 || error.status === 403)
    return 'That key is not a read key of any account (a write key cannot read).';
  if (error.status === 429)
    return 'Too many requests with this key right now (its rate limit). Try again in a few seconds.';
  return `The stats API could not sign you in (HTTP ${error.status}). Try again in a moment.`;
}
