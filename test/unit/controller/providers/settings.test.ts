// A provider's spec and Secret → client settings or a reason, table-driven;
// what a credential check threw → the Ready condition and the next check;
// where an ApigCertificate is routed.
import {
  ApigServerError,
  ApigUnauthorizedError,
  ApigForbiddenError,
} from '../../../../src/apig/index.ts';
import type { ApigProviderSpec } from '../../../../src/api/providers.ts';
import type { ApigCertificateResource } from '../../../../src/api/v1alpha1.ts';
import { KubeApiError } from '../../../../src/kube/kube-client.ts';
import { providerSettings } from '../../../../src/controller/providers/settings.ts';
import {
  PROVIDER_RECHECK_MS,
  PROVIDER_RETRY_MS,
  verification,
} from '../../../../src/controller/providers/verification.ts';
import { providerReferencesOf, routeOf } from '../../../../src/controller/providers/route.ts';

const AK: ApigProviderSpec = {
  endpoint: 'https://apig.cn-north-4.myhuaweicloud.com',
  projectId: 'p1',
  auth: { accessKey: { secretRef: { name: 'keys' } } },
};
const PASSWORD: ApigProviderSpec = {
  endpoint: 'https://apig.cn-north-4.myhuaweicloud.com',
  projectId: 'p1',
  auth: {
    iamPassword: {
      iamEndpoint: 'https://iam.cn-north-4.myhuaweicloud.com',
      domainName: 'acme',
      username: 'sync',
      projectName: 'cn-north-4',
      passwordSecretRef: { name: 'pw', key: 'password' },
    },
  },
};
const found = (value: Record<string, string>) => ({ found: true as const, value });

describe('providerSettings', () => {
  it.each([
    ['a missing Secret', AK, { found: false as const, what: 'not found' }, 'SecretNotFound'],
    ['no AK key', AK, found({ HUAWEICLOUD_SDK_SK: 'sk' }), 'SecretKeyNotFound'],
    [
      'an empty SK',
      AK,
      found({ HUAWEICLOUD_SDK_AK: 'ak', HUAWEICLOUD_SDK_SK: '' }),
      'SecretKeyNotFound',
    ],
    [
      'an AK with a line break',
      AK,
      found({ HUAWEICLOUD_SDK_AK: 'ak\n', HUAWEICLOUD_SDK_SK: 'sk' }),
      'InvalidCredentials',
    ],
    [
      'a named security token key that is absent',
      { ...AK, auth: { accessKey: { secretRef: { name: 'keys', securityTokenKey: 'token' } } } },
      found({ HUAWEICLOUD_SDK_AK: 'ak', HUAWEICLOUD_SDK_SK: 'sk' }),
      'SecretKeyNotFound',
    ],
    ['no password key', PASSWORD, found({ other: 'x' }), 'SecretKeyNotFound'],
    [
      'a password with a control character',
      PASSWORD,
      found({ password: 'a\u0007b' }),
      'InvalidCredentials',
    ],
    [
      'an endpoint with a user name',
      { ...AK, endpoint: 'https://user@apig.example.com' },
      found({}),
      'InvalidSpec',
    ],
  ])('refuses %s', (_case, spec, secret, reason) => {
    const result = providerSettings({ spec, resourceNamespace: 'team-a', secret });
    expect(result.ok ? undefined : result.problem.reason).toBe(reason);
    // A message names where to look, never a value.
    const message = result.ok ? '' : result.problem.message;
    expect(message).not.toMatch(/\bsk\b/);
    expect(message).not.toContain('a\u0007b');
  });

  it('builds AK/SK credentials with the default or the named keys', () => {
    const named = providerSettings({
      spec: {
        ...AK,
        auth: {
          accessKey: {
            secretRef: {
              name: 'keys',
              accessKeyIdKey: 'id',
              secretAccessKeyKey: 'secret',
              securityTokenKey: 'sts',
            },
          },
        },
      },
      resourceNamespace: 'team-a',
      secret: found({ id: 'AK1', secret: 'SK1', sts: 'T1' }),
    });
    expect(named.ok && named.settings.credentials).toEqual({
      kind: 'aksk',
      accessKey: 'AK1',
      secretKey: 'SK1',
      securityToken: 'T1',
    });
  });

  it('targets the provider endpoint, service and project, with a warning for plain http', () => {
    const result = providerSettings({
      spec: { ...AK, endpoint: 'http://127.0.0.1:8080/', service: 'roma' },
      resourceNamespace: 'team-a',
      secret: found({ HUAWEICLOUD_SDK_AK: 'AK1', HUAWEICLOUD_SDK_SK: 'SK1' }),
    });
    expect(result.ok && result.settings.target).toEqual({
      endpoint: 'http://127.0.0.1:8080',
      service: 'roma',
      defaultProjectId: 'p1',
    });
    expect(result.ok && result.settings.warnings.join()).toContain('plain http');
  });

  it('takes a keyless provider’s ServiceAccount from the provider’s Secret namespace', () => {
    const result = providerSettings({
      spec: {
        ...AK,
        auth: {
          workloadIdentity: {
            iamEndpoint: 'https://iam.example.com',
            idpId: 'cluster',
            serviceAccountRef: { name: 'sync', audiences: ['aud'] },
          },
        },
      },
      resourceNamespace: 'ops',
    });
    expect(result.ok && result.settings.credentials).toEqual({
      kind: 'workloadIdentity',
      iamEndpoint: 'https://iam.example.com',
      idpId: 'cluster',
      serviceAccount: { namespace: 'ops', name: 'sync', audiences: ['aud'] },
    });
  });
});

describe('verification', () => {
  const details = { operation: 'listCertificates' as const };
  it.each([
    ['no error', undefined, true, 'CredentialsVerified', PROVIDER_RECHECK_MS],
    [
      'a 401',
      new ApigUnauthorizedError('refused', { ...details, httpStatus: 401, errorCode: 'APIG.1002' }),
      false,
      'CredentialsRefused',
      PROVIDER_RECHECK_MS,
    ],
    [
      'a 403',
      new ApigForbiddenError('forbidden', { ...details, httpStatus: 403, errorCode: 'APIG.1005' }),
      true,
      'CredentialsVerified',
      PROVIDER_RECHECK_MS,
    ],
    [
      'no answer',
      new ApigServerError('network error', { ...details, errorCode: 'ECONNREFUSED' }),
      false,
      'EndpointUnreachable',
      PROVIDER_RETRY_MS,
    ],
    [
      'a 500',
      new ApigServerError('server', { ...details, httpStatus: 500 }),
      false,
      'VerificationFailed',
      PROVIDER_RETRY_MS,
    ],
    [
      'a refused TokenRequest',
      new KubeApiError(403, undefined, 'TokenRequest'),
      false,
      'ServiceAccountTokenFailed',
      PROVIDER_RECHECK_MS,
    ],
    [
      'a refused TokenRequest seen through the keyless auth',
      new ApigUnauthorizedError('no ID token', {
        operation: 'iamToken',
        cause: new KubeApiError(404, undefined, 'TokenRequest'),
      }),
      false,
      'ServiceAccountTokenFailed',
      PROVIDER_RECHECK_MS,
    ],
  ])('%s', (_case, error, ready, reason, recheck) => {
    const result = verification(error, []);
    expect([result.readiness.ready, result.readiness.reason, result.recheckAfterMs]).toEqual([
      ready,
      reason,
      recheck,
    ]);
  });

  it('never checks again within minutes of refused credentials', () => {
    const refused = verification(new ApigUnauthorizedError('x', details), []);
    expect(refused.recheckAfterMs).toBeGreaterThanOrEqual(5 * 60_000);
  });
});

describe('routeOf', () => {
  const resource = (
    providerRef?: ApigCertificateResource['spec']['providerRef'],
  ): ApigCertificateResource => ({
    metadata: { name: 'shop', namespace: 'team-a' },
    spec: {
      certificateId: 'c',
      name: 'shop_cert',
      secretRef: { name: 's' },
      ...(providerRef ? { providerRef } : {}),
    },
  });
  const notCalled = (): Promise<never> => Promise.reject(new Error('not called'));
  const environment = {
    apig: {
      updateCertificate: notCalled,
      createCertificate: notCalled,
      showCertificate: notCalled,
      listCertificates: notCalled,
      deleteCertificate: notCalled,
      attachDomains: notCalled,
      detachDomains: notCalled,
      listAttachedDomains: notCalled,
    },
    target: { endpoint: 'https://env', service: 'apig' as const },
  };
  const asked: string[] = [];
  const registry = {
    resolve: (ref: { kind?: string; name: string }, namespace: string) => {
      asked.push(`${ref.kind ?? 'ApigProvider'} ${namespace}/${ref.name}`);
      return { kind: 'notFound' as const, message: 'gone' };
    },
  };

  it.each([
    ['no providerRef, an environment configuration', resource(), environment, 'ready'],
    ['no providerRef, none', resource(), undefined, 'NoDefaultProvider'],
    ['a provider that is not there', resource({ name: 'eu' }), environment, 'ProviderNotFound'],
  ])('%s', (_case, r, env, expected) => {
    const route = routeOf(r, env, registry);
    expect(route.kind === 'unavailable' ? route.reason : route.kind).toBe(expected);
  });

  it('asks for an ApigProvider only in the resource’s own namespace', () => {
    asked.length = 0;
    routeOf(resource({ kind: 'ApigProvider', name: 'eu' }), environment, registry);
    expect(asked).toEqual(['ApigProvider team-a/eu']);
  });

  it('indexes a ClusterApigProvider without a namespace, an ApigProvider with its own', () => {
    expect(providerReferencesOf(resource({ kind: 'ClusterApigProvider', name: 'cn' }))).toEqual([
      { kind: 'ClusterApigProvider', namespace: '', name: 'cn' },
    ]);
    expect(providerReferencesOf(resource({ name: 'eu' }))).toEqual([
      { kind: 'ApigProvider', namespace: 'team-a', name: 'eu' },
    ]);
    expect(providerReferencesOf(resource())).toEqual([]);
  });
});
