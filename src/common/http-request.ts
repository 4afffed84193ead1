// One HTTP request through a given undici dispatcher, by URL.
import type { Dispatcher } from 'undici';

/** Response headers as undici gives them: lower-case names, repeated ones as arrays. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The first value of a response header, by any case of its name. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

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
