import { parseRetryAfter } from '../../../src/common/retry-after.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';
import {
  collectionPath,
  CONFIG_MAPS,
  LEASES,
  objectPath,
  SECRETS,
} from '../../../src/kube/resources.ts';
import { metadataStub, withoutManagedFields } from '../../../src/kube/metadata.ts';
import type { RawObject } from '../../../src/kube/metadata.ts';

describe('collectionPath / objectPath', () => {
  it.each([
    [SECRETS, undefined, '/api/v1/secrets'],
    [SECRETS, 'team-a', '/api/v1/namespaces/team-a/secrets'],
    [CONFIG_MAPS, 'ns', '/api/v1/namespaces/ns/configmaps'],
    [APIG_CERTIFICATE_RESOURCE, undefined, '/apis/apig.certsync.io/v1alpha1/apigcertificates'],
    [
      APIG_CERTIFICATE_RESOURCE,
      'ns',
      '/apis/apig.certsync.io/v1alpha1/namespaces/ns/apigcertificates',
    ],
    [LEASES, 'kube-system', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases'],
  ])('%j in %s -> %s', (resource, namespace, expected) => {
    expect(collectionPath(resource, namespace)).toBe(expected);
  });

  it('appends the object name', () => {
    expect(objectPath(LEASES, 'ns', 'apig-cert-operator')).toBe(
      '/apis/coordination.k8s.io/v1/namespaces/ns/leases/apig-cert-operator',
    );
  });
});

// The shared parser, pinned for the API server's forms; it caps at 10 min and
// takes only integer seconds, like RFC 9110.
describe('parseRetryAfter (API server Retry-After)', () => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);
  it.each([
    [null, undefined],
    ['', undefined],
    ['5', 5_000],
    ['0', 0],
    ['1.5', undefined],
    ['3600', 600_000],
    ['Thu, 01 Jan 2026 01:00:00 GMT', 600_000],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
  ])('%j -> %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('projections', () => {
  const secret: RawObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'tls',
      namespace: 'ns',
      uid: 'u-1',
      resourceVersion: '42',
      labels: { a: 'b' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(10_000) },
      managedFields: [{ manager: 'kubectl' }],
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.key': 'c2VjcmV0' },
  };

  it('metadataStub keeps identity and version only', () => {
    expect(metadataStub(secret)).toEqual({
      metadata: { name: 'tls', namespace: 'ns', uid: 'u-1', resourceVersion: '42' },
    });
  });

  it('withoutManagedFields drops managedFields and keeps the rest', () => {
    const projected = withoutManagedFields<{ metadata: Record<string, unknown> } & RawObject>(
      secret,
    );
    expect(projected.metadata).not.toHaveProperty('managedFields');
    expect(projected.metadata.labels).toEqual({ a: 'b' });
    expect(projected.type).toBe('kubernetes.io/tls');
    expect(secret.metadata).toHaveProperty('managedFields');
  });
});
