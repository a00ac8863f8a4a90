/** The at-a-glance numbers: cards, live counts by type, top users and top pages of the last 24 hours. */
import { byId, el, typeBadge } from '../dom.js';
import { formatClock, formatCompact, formatCount, labelledCount } from '../format.js';
import type { Summary } from '../types.js';

export interface Glance {
  total: number;
  uniqueUsers: number | undefined;
  thisMinute: number;
  lastEventAt: string | undefined;
  byType: [string, number][];
  summary: Summary | undefined;
}

export class SummaryView {
  readonly #total = byId('stat-total');
  readonly #users = byId('stat-users');
  readonly #rate = byId('stat-rate');
  readonly #last = byId('stat-last');
  readonly #types = byId<HTMLUListElement>('type-counts');
  readonly #typesEmpty = byId('types-empty');
  readonly #topUsers = byId<HTMLOListElement>('top-users');
  readonly #topPaths = byId<HTMLOListElement>('top-paths');

  render(glance: Glance): void {
    this.#total.textContent = formatCount(glance.total);
    this.#users.textContent = glance.uniqueUsers === undefined ? '–' : formatCount(glance.uniqueUsers);
    this.#rate.textContent = formatCount(glance.thisMinute);
    this.#last.textContent = glance.lastEventAt ? formatClock(glance.lastEventAt) : '–';
    this.#types.replaceChildren(
      ...glance.byType.map(([type, count]) => {
        const chip = el('li', 'chip');
        chip.dataset.type = type;
        chip.dataset.count = String(count);
        chip.append(typeBadge(type), el('span', 'count', formatCompact(count)));
        chip.title = labelledCount(type, count);
        return chip;
      }),
    );
    this.#typesEmpty.hidden = glance.byType.length > 0;
    renderTop(
      this.#topUsers,
      (glance.summary?.top_users ?? []).map((entry) => [entry.user_id, entry.events]),
      'No users yet',
    );
    renderTop(
      this.#topPaths,
      (glance.summary?.top_paths ?? []).map((entry) => [entry.path, entry.views]),
      'No page views yet',
    );
  }
}

function renderTop(list: HTMLOListElement, entries: [string, number][], emptyText: string): void {
  if (entries.length === 0) {
    list.replaceChildren(el('li', 'empty', emptyText));
    return;
  }
  const max = Math.max(...entries.map(([, count]) => count));
  list.replaceChildren(
    ...entries.map(([name, count]) => {
      const item = el('li');
      const bar = el('span', 'bar');
      bar.style.width = `${Math.max(4, (count / max) * 100)}%`;
      item.append(bar, el('span', 'name', name), el('span', 'count', formatCount(count)));
      item.title = labelledCount(name, count);
      return item;
    }),
  );
}
