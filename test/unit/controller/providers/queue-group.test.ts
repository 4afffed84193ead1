// The work queue's group of an ApigCertificate: its provider's metrics label.
import type { ApigCertificateResource } from '../../../../src/api/v1alpha1.ts';
import {
  ENVIRONMENT_GROUP,
  providerFairness,
  providerGroupOf,
} from '../../../../src/controller/providers/queue-group.ts';

const resource = (providerRef?: { kind?: string; name: string }): ApigCertificateResource =>
  ({
    apiVersion: 'apig.huaweicloud.com/v1alpha1',
    kind: 'ApigCertificate',
    metadata: { name: 'shop', namespace: 'team-a' },
    spec: {
      certificateId: 'c',
      name: 'shop_cert',
      secretRef: { name: 's' },
      ...(providerRef ? { providerRef } : {}),
    },
  }) as ApigCertificateResource;

describe('providerGroupOf', () => {
  it.each<[string, ApigCertificateResource | undefined, string]>([
    ['the environment configuration', resource(), ENVIRONMENT_GROUP],
    ['an ApigProvider (the default kind)', resource({ name: 'eu' }), 'team-a/eu'],
    ['an ApigProvider', resource({ kind: 'ApigProvider', name: 'eu' }), 'team-a/eu'],
    ['a ClusterApigProvider', resource({ kind: 'ClusterApigProvider', name: 'cn' }), 'cluster/cn'],
    [
      'an unknown kind: refused by reconcile, grouped with the environment',
      resource({ kind: 'Issuer', name: 'x' }),
      ENVIRONMENT_GROUP,
    ],
    ['a resource that is gone', undefined, ENVIRONMENT_GROUP],
  ])('%s', (_case, r, expected) => {
    expect(providerGroupOf(r)).toBe(expected);
  });

  it('groups a key by the resource cached now, for the workers given', () => {
    const cache = new Map([['team-a/shop', resource({ name: 'eu' })]]);
    const fairness = providerFairness((key) => cache.get(key), 16);
    expect(fairness.workers).toBe(16);
    expect(fairness.groupOf('team-a/shop')).toBe('team-a/eu');
    cache.set('team-a/shop', resource({ kind: 'ClusterApigProvider', name: 'cn' }));
    expect(fairness.groupOf('team-a/shop')).toBe('cluster/cn');
    cache.delete('team-a/shop');
    expect(fairness.groupOf('team-a/shop')).toBe(ENVIRONMENT_GROUP);
  });
});
