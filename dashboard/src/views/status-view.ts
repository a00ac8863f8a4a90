/** The connection indicator in the top bar: live, connecting, or reconnecting in N seconds. */
import { byId } from '../dom.js';
import { formatDelay } from '../format.js';
import type { ConnectionState } from '../live-socket.js';

export class StatusView {
  readonly #status = byId('status');
  readonly #text = byId('status-text');
  readonly #retry = byId<HTMLButtonElement>('retry');
  #state: ConnectionState = { kind: 'stopped' };
  readonly #listening = new AbortController();

  constructor(retryNow: () => void) {
    this.#retry.addEventListener('click', retryNow, { signal: this.#listening.signal });
  }

  /** Ends the listener on the page's retry button, which outlives this view. */
  dispose(): void {
    this.#listening.abort();
  }

  set(state: ConnectionState): void {
    this.#state = state;
    this.render();
  }

  /** Re-rendered every second while waiting, so the countdown moves. */
  render(now = Date.now()): void {
    const state = this.#state;
    this.#status.dataset.state = state.kind;
    this.#retry.hidden = state.kind !== 'waiting';
    switch (state.kind) {
      case 'live':
        this.#text.textContent = 'Live';
        break;
      case 'connecting':
        this.#text.textContent = 'Connecting…';
        break;
      case 'waiting':
        this.#text.textContent = `Reconnecting in ${formatDelay(state.retryAt - now)}`;
        break;
      case 'stopped':
        this.#text.textContent = 'Signed out';
        break;
    }
  }
}
