// offset/limit paging of list answers, validated like APIG does.
import { invalidParameter } from './errors.ts';

const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 20;

function pageParameter(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw invalidParameter(name);
  const value = Number(raw);
  if (value < min || value > max) throw invalidParameter(name);
  return value;
}

/** The requested page of `items`; offset and limit are validated like APIG does. */
export function page<T>(items: T[], query: URLSearchParams): T[] {
  const offset = pageParameter(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = pageParameter(query, 'limit', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
  return items.slice(offset, offset + limit);
}
