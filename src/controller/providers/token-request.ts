// Keyless providers: a ServiceAccount token from the TokenRequest API, for
// IAM to exchange. Each call asks for a fresh, short-lived token: IAM's
// X-Auth-Token is what the APIG client caches, so a token is requested only
// when that one is obtained or renewed (before either expires).
import type { KubeClient } from '../../kube/kube-client.ts';
import type { ServiceAccountTokenSource } from './settings.ts';

/**
 * One hour (the API server's minimum is 10 minutes): the IAM token is renewed
 * before this token expires, so a longer life means fewer exchanges; the
 * token only ever travels to IAM.
 */
export const SERVICE_ACCOUNT_TOKEN_SECONDS = 3600;

interface TokenRequestAnswer {
  status?: { token?: unknown };
}

/** `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` with the provider's audiences. */
export function serviceAccountToken(
  client: KubeClient,
  source: ServiceAccountTokenSource,
): (signal?: AbortSignal) => Promise<string> {
  const path = `/api/v1/namespaces/${encodeURIComponent(source.namespace)}/serviceaccounts/${encodeURIComponent(source.name)}/token`;
  return async (signal) => {
    const answer = await client.json<TokenRequestAnswer>({
      method: 'POST',
      path,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: source.audiences, expirationSeconds: SERVICE_ACCOUNT_TOKEN_SECONDS },
      },
      ...(signal ? { signal } : {}),
    });
    const token = answer.status?.token;
    if (typeof token !== 'string' || token === '') {
      throw new TypeError(
        `TokenRequest for ServiceAccount ${source.namespace}/${source.name} returned no token`,
      );
    }
    return token;
  };
}
