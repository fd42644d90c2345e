/**
 * JSON serialization with reuse: lists served from the watch cache carry (under a symbol, so it
 * never shows up in the JSON) a function giving each item's cached JSON text, and
 * {@link toJson} splices those texts instead of re-serializing every object.
 */
import type { KubeList } from '@keelson/api';

/** Symbol under which a list carries `() => string[]`, the JSON of its items in order. */
export const ITEMS_JSON = Symbol('keelson.itemsJson');

/** Serializes an API response; lists with cached item JSON are assembled from it. */
export function toJson(body: unknown): string {
  const fn = body && typeof body === 'object' ? (body as Record<symbol, unknown>)[ITEMS_JSON] : undefined;
  if (typeof fn !== 'function') return JSON.stringify(body);
  const list = body as KubeList;
  const { items: _items, ...head } = list;
  const prefix = JSON.stringify(head);
  return `${prefix.slice(0, -1)}${prefix.length > 2 ? ',' : ''}"items":[${(fn as () => string[])().join(',')}]}`;
}
