import { ReferenceIndex } from '../../../src/kube/reference-index.ts';
import { referencesOf } from '../../../src/controller/references.ts';
import type {
  ApigCertificateReference,
  ApigCertificateReferences,
} from '../../../src/controller/references.ts';

function cert(
  name: string,
  spec: ApigCertificateReferences['spec'],
  namespace = 'ns',
): ApigCertificateReferences {
  return { metadata: { namespace, name }, spec };
}

const secret = (name: string, namespace = 'ns'): ApigCertificateReference => ({
  kind: 'Secret',
  namespace,
  name,
});
const configMap = (name: string, namespace = 'ns'): ApigCertificateReference => ({
  kind: 'ConfigMap',
  namespace,
  name,
});

describe('referencesOf', () => {
  it.each([
    ['secretRef only', { secretRef: { name: 'tls' } }, [secret('tls')]],
    [
      'every reference',
      {
        secretRef: { name: 'tls' },
        signSecretRef: { name: 'sign' },
        trustedRootCA: { secretRef: { name: 'ca-secret' }, configMapRef: { name: 'ca-cm' } },
      },
      [secret('tls'), secret('sign'), secret('ca-secret'), configMap('ca-cm')],
    ],
    [
      'trusted root CA from a ConfigMap',
      { secretRef: { name: 'tls' }, trustedRootCA: { configMapRef: { name: 'ca' } } },
      [secret('tls'), configMap('ca')],
    ],
    ['no spec', undefined, []],
    [
      'empty and non-string names are ignored',
      { secretRef: { name: '' }, signSecretRef: { name: 42 } },
      [],
    ],
    ['missing secretRef', { trustedRootCA: {} }, []],
  ])('%s', (_name, spec, expected) => {
    expect(referencesOf(cert('c', spec))).toEqual(expected);
  });

  it('uses the resource namespace for every reference', () => {
    expect(referencesOf(cert('c', { secretRef: { name: 'tls' } }, 'team-a'))).toEqual([
      secret('tls', 'team-a'),
    ]);
  });

  it('returns nothing without a namespace', () => {
    expect(referencesOf({ metadata: { name: 'c' }, spec: { secretRef: { name: 'tls' } } })).toEqual(
      [],
    );
  });
});

describe('ReferenceIndex over referencesOf', () => {
  it.each([
    // [resources, queried reference, expected owners]
    [[cert('a', { secretRef: { name: 'tls' } })], secret('tls'), ['ns/a']],
    [
      [cert('a', { secretRef: { name: 'tls' } }), cert('b', { secretRef: { name: 'tls' } })],
      secret('tls'),
      ['ns/a', 'ns/b'],
    ],
    [[cert('a', { secretRef: { name: 'tls' } })], secret('other'), []],
    [[cert('a', { secretRef: { name: 'tls' } })], secret('tls', 'other-ns'), []],
    [[cert('a', { secretRef: { name: 'tls' } })], configMap('tls'), []],
    [
      [cert('a', { secretRef: { name: 'x' }, trustedRootCA: { configMapRef: { name: 'tls' } } })],
      configMap('tls'),
      ['ns/a'],
    ],
    [
      [cert('a', { secretRef: { name: 'tls' }, signSecretRef: { name: 'tls' } })],
      secret('tls'),
      ['ns/a'],
    ],
    [
      [cert('a', { secretRef: { name: 'x' }, signSecretRef: { name: 'sm2' } })],
      secret('sm2'),
      ['ns/a'],
    ],
  ])('%#: owners of %j', (resources, ref, expected) => {
    const index = new ReferenceIndex(referencesOf);
    for (const r of resources) index.applyOwnerEvent({ type: 'add', object: r });
    expect(index.owners(ref)).toEqual(expected);
  });

  it('follows a resource that switches to another Secret', () => {
    const index = new ReferenceIndex(referencesOf);
    const before = cert('a', { secretRef: { name: 'old' } });
    const after = cert('a', { secretRef: { name: 'new' } });
    index.applyOwnerEvent({ type: 'add', object: before });
    index.applyOwnerEvent({ type: 'update', object: after, old: before });
    expect(index.owners(secret('old'))).toEqual([]);
    expect(index.owners(secret('new'))).toEqual(['ns/a']);
    expect(index.size).toBe(1);
  });

  it('forgets a deleted resource and drops empty entries', () => {
    const index = new ReferenceIndex(referencesOf);
    const a = cert('a', {
      secretRef: { name: 'tls' },
      trustedRootCA: { configMapRef: { name: 'ca' } },
    });
    const b = cert('b', { secretRef: { name: 'tls' } });
    index.applyOwnerEvent({ type: 'add', object: a });
    index.applyOwnerEvent({ type: 'add', object: b });
    index.applyOwnerEvent({ type: 'delete', object: a });
    expect(index.owners(secret('tls'))).toEqual(['ns/b']);
    expect(index.owners(configMap('ca'))).toEqual([]);
    expect(index.size).toBe(1);
    index.delete('ns/b');
    expect(index.size).toBe(0);
  });

  it.each([
    ['Secret' as const, { namespace: 'ns', name: 'tls' }, ['ns/a']],
    ['ConfigMap' as const, { namespace: 'ns', name: 'tls' }, []],
    ['Secret' as const, { name: 'tls' }, []],
  ])('maps a %s event on %j to %j', (kind, metadata, expected) => {
    const index = new ReferenceIndex(referencesOf);
    index.set('ns/a', [secret('tls')]);
    expect(
      index.ownersOfEvent(kind, { type: 'update', object: { metadata }, old: { metadata } }),
    ).toEqual(expected);
  });
});
