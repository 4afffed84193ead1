// One HTTP request through a given undici dispatcher, by URL.
import type { Dispatcher } from 'undici';

export type UrlRequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'>;

/**
 * undici's top-level `request(url, { dispatcher })`, as the dispatcher's own
 * method. The bundle (build.ts) carries undici's dispatchers without the rest
 * of its entry point, which is where the top-level `request` lives.
 */
export function requestUrl(
  dispatcher: Dispatcher,
  url: URL,
  options: UrlRequestOptions,
): Promise<Dispatcher.ResponseData> {
  return dispatcher.request({ ...options, origin: url.origin, path: url.pathname + url.search });
}
