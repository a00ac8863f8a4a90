/**
 * The few DOM helpers the views share. Text from events (user ids, paths) is untrusted: it only ever
 * goes in through `textContent`, never as markup.
 */

/** The element with this id; the page's skeleton (index.html) has every one the views use. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** A new element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A stable hue per event type, so a type keeps its colour across the chips and the feed. */
export function typeHue(type: string): number {
  let hash = 0;
  for (let index = 0; index < type.length; index += 1) hash = (hash * 31 + type.charCodeAt(index)) >>> 0;
  return hash % 360;
}

/** A badge for an event type. */
export function typeBadge(type: string): HTMLSpanElement {
  const badge = el('span', 'badge', type);
  badge.style.setProperty('--hue', String(typeHue(type)));
  return badge;
}
