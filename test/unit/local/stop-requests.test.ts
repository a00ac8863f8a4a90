import { describe, expect, it } from 'vitest';
import { type StopRequest, stopAction } from '../../../local/stop-requests.js';

describe('what a request to stop npm start does', () => {
  it.each<StopRequest>(['interrupt', 'hangup', 'launcher-gone'])(
    'stops the stack the first time (%s)',
    (request) => {
      expect(stopAction(false, request)).toBe('stop');
    },
  );

  it('ends at once on a second Ctrl-C or SIGTERM while stopping', () => {
    expect(stopAction(true, 'interrupt')).toBe('exit');
  });

  it('lets the stop finish when a hang-up or a launcher gone follows the first signal', () => {
    // A closed terminal hangs up npm and the stack together; npm's end then trips the launcher watch.
    expect(stopAction(true, 'hangup')).toBe('ignore');
    expect(stopAction(true, 'launcher-gone')).toBe('ignore');
  });
});
