import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signCursor, verifiedCursorPayload } from '../../../lambdas/stats/cursor-signing.js';
import { TEST_CURSOR_KEY } from '../../helpers/factories.js';

const OTHER_KEY = Buffer.from('another-stack-cursor-signing-key-98765', 'utf8');
const payload = Buffer.from('{"v":1,"p":"pit-1"}').toString('base64url');

describe('cursor signing', () => {
  it('gives back the payload of every cursor it signed', () => {
    fc.assert(
      fc.property(fc.base64String(), (text) => {
        // Prepare: a base64url payload, as the search encodes it
        const signed = Buffer.from(text).toString('base64url');

        // Act & Assess
        expect(verifiedCursorPayload(signCursor(signed, TEST_CURSOR_KEY), TEST_CURSOR_KEY)).toBe(signed);
      }),
    );
  });

  it('refuses a cursor that is unsigned, altered, cut short, or signed with another key', () => {
    // Prepare
    const cursor = signCursor(payload, TEST_CURSOR_KEY);
    const [, mac] = cursor.split('.');
    const altered = `${Buffer.from('{"v":1,"p":"pit-2"}').toString('base64url')}.${mac}`;

    // Act & Assess
    expect(verifiedCursorPayload(payload, TEST_CURSOR_KEY)).toBeUndefined();
    expect(verifiedCursorPayload(altered, TEST_CURSOR_KEY)).toBeUndefined();
    expect(verifiedCursorPayload(cursor.slice(0, -2), TEST_CURSOR_KEY)).toBeUndefined();
    expect(verifiedCursorPayload(`${cursor}.`, TEST_CURSOR_KEY)).toBeUndefined();
    expect(verifiedCursorPayload(cursor, OTHER_KEY)).toBeUndefined();
    expect(verifiedCursorPayload(signCursor(payload, OTHER_KEY), TEST_CURSOR_KEY)).toBeUndefined();
  });
});
