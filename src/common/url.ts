// The rules for a service base URL (APIG, IAM), kept once: configuration and
// the APIG client check the same things and phrase the problem their own way.

export type BaseUrlProblem =
  | { reason: 'notAbsolute' }
  | { reason: 'notHttp'; protocol: string }
  /** A user name or password in the URL would end up in logs and proxies. */
  | { reason: 'credentials' }
  /** Request paths are appended to the base; a query or fragment cannot stay in front of them. */
  | { reason: 'queryOrFragment' };

export type BaseUrlCheck =
  | {
      ok: true;
      /** Origin and path, without trailing slashes: request paths are appended to it. */
      base: string;
      /** http: rather than https: (acceptable only for a local simulator). */
      plainHttp: boolean;
    }
  | { ok: false; problem: BaseUrlProblem };

/** Checks `raw` as an http(s) base URL; problems are reported in the order listed above. */
export function checkBaseUrl(raw: string): BaseUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: { reason: 'notAbsolute' } };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, problem: { reason: 'notHttp', protocol: url.protocol } };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: { reason: 'credentials' } };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, problem: { reason: 'queryOrFragment' } };
  }
  return {
    ok: true,
    base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    plainHttp: url.protocol === 'http:',
  };
}
