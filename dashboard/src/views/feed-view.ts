/**
 * The live feed table: time, type, user and path of the newest events, filtered by type and user,
 * paused on demand (new events are kept and counted, the view stands still until resumed).
 */
import { byId, el, typeBadge } from '../dom.js';
import { type Feed, type FeedFilter, NO_FILTER } from '../feed.js';
import { formatClock, formatCount } from '../format.js';
import { userOf } from '../types.js';

export class FeedView {
  readonly #rows = byId<HTMLTableSectionElement>('feed-rows');
  readonly #empty = byId('feed-empty');
  readonly #typeFilter = byId<HTMLSelectElement>('filter-type');
  readonly #userFilter = byId<HTMLInputElement>('filter-user');
  readonly #pause = byId<HTMLButtonElement>('pause');
  #filter: FeedFilter = NO_FILTER;
  #shown = new Set<string>();
  #knownTypes: string[] = [];
  /** Ends the listeners on the page's controls, which outlive this view (see `dispose`). */
  readonly #listening = new AbortController();

  constructor(
    private readonly feed: Feed,
    private readonly changed: () => void,
  ) {
    const { signal } = this.#listening;
    this.#typeFilter.addEventListener('change', () => this.#setFilter({ type: this.#typeFilter.value }), {
      signal,
    });
    this.#userFilter.addEventListener('input', () => this.#setFilter({ user: this.#userFilter.value }), {
      signal,
    });
    this.#pause.addEventListener(
      'click',
      () => {
        if (this.feed.paused) this.feed.resume();
        else this.feed.pause();
        this.changed();
      },
      { signal },
    );
  }

  dispose(): void {
    this.#listening.abort();
  }

  render(): void {
    this.#renderTypeOptions();
    const events = this.feed.view(this.#filter);
    const previouslyShown = this.#shown;
    this.#shown = new Set(events.map((event) => event.event_id));
    this.#rows.replaceChildren(
      ...events.map((event) => {
        const row = el('tr');
        row.dataset.eventId = event.event_id;
        row.dataset.type = event.type;
        // A row that was not there before flashes once, so new events catch the eye.
        if (previouslyShown.size > 0 && !previouslyShown.has(event.event_id)) row.className = 'fresh';
        const user = userOf(event);
        const type = el('td');
        type.append(typeBadge(event.type));
        if (event.truncated) type.append(el('span', 'truncated', 'truncated'));
        row.append(
          el('td', 'time', formatClock(event.timestamp)),
          type,
          el('td', user ? 'user' : 'user none', user ?? '—'),
          el('td', 'path', event.path ?? ''),
        );
        return row;
      }),
    );
    const filtered = this.#filter.type !== '' || this.#filter.user.trim() !== '';
    this.#empty.hidden = events.length > 0;
    this.#empty.textContent = filtered ? 'No event matches the filter.' : 'Waiting for events…';
    const arrived = this.feed.arrivedWhilePaused;
    this.#pause.textContent = this.feed.paused
      ? arrived > 0
        ? `Resume (${formatCount(arrived)} new)`
        : 'Resume'
      : 'Pause';
    this.#pause.setAttribute('aria-pressed', String(this.feed.paused));
  }

  #setFilter(change: Partial<FeedFilter>): void {
    this.#filter = { ...this.#filter, ...change };
    this.changed();
  }

  #renderTypeOptions(): void {
    const types = [...new Set([...this.feed.types(), this.#filter.type].filter(Boolean))].sort();
    if (types.join('\n') === this.#knownTypes.join('\n')) return;
    this.#knownTypes = types;
    this.#typeFilter.replaceChildren(
      el('option', undefined, 'All types'),
      ...types.map((type) => {
        const option = el('option', undefined, type);
        option.value = type;
        return option;
      }),
    );
    (this.#typeFilter.firstElementChild as HTMLOptionElement).value = '';
    this.#typeFilter.value = this.#filter.type;
  }
}
