import { ObjectStore, storeKey } from '../../../src/kube/object-store.ts';
import type { KubeObject, WatchEvent } from '../../../src/kube/object-store.ts';

function obj(
  name: string,
  resourceVersion: string,
  uid = `uid-${name}`,
  namespace = 'ns',
): KubeObject {
  return { metadata: { namespace, name, resourceVersion, uid } };
}

/** `type key@rv` for compact expectations. */
function summary(events: (WatchEvent<KubeObject> | undefined)[]): string[] {
  return events.map((e) =>
    e ? `${e.type} ${storeKey(e.object.metadata)}@${e.object.metadata.resourceVersion}` : 'none',
  );
}

describe('storeKey', () => {
  it.each([
    [{ namespace: 'ns', name: 'a' }, 'ns/a'],
    [{ name: 'cluster-scoped' }, 'cluster-scoped'],
    [{ namespace: '', name: 'a' }, 'a'],
  ])('%j -> %s', (metadata, expected) => {
    expect(storeKey(metadata)).toBe(expected);
  });
});

describe('ObjectStore.upsert/remove', () => {
  it.each([
    ['a new object is an add', [], obj('a', '1'), ['add ns/a@1']],
    ['a new resourceVersion is an update', [obj('a', '1')], obj('a', '2'), ['update ns/a@2']],
    ['the same resourceVersion is no event', [obj('a', '1')], obj('a', '1'), ['none']],
    [
      'a new uid is an update even with the same resourceVersion',
      [obj('a', '1')],
      obj('a', '1', 'other'),
      ['update ns/a@1'],
    ],
    [
      'same name in another namespace is an add',
      [obj('a', '1')],
      obj('a', '1', 'u', 'other'),
      ['add other/a@1'],
    ],
  ])('%s', (_name, initial, next, expected) => {
    const store = new ObjectStore<KubeObject>();
    for (const o of initial) store.upsert(o);
    expect(summary([store.upsert(next)])).toEqual(expected);
    expect(store.get(storeKey(next.metadata))).toBe(next);
  });

  it('reports the previous state with an update', () => {
    const store = new ObjectStore<KubeObject>();
    const first = obj('a', '1');
    store.upsert(first);
    const event = store.upsert(obj('a', '2'));
    expect(event?.type === 'update' && event.old).toBe(first);
  });

  it.each([
    ['a known object', [obj('a', '1')], ['delete ns/a@3'], 0],
    ['an unknown object', [obj('b', '1')], ['none'], 1],
  ])('removing %s', (_name, initial, expected, size) => {
    const store = new ObjectStore<KubeObject>();
    for (const o of initial) store.upsert(o);
    expect(summary([store.remove(obj('a', '3'))])).toEqual(expected);
    expect(store.size).toBe(size);
  });
});

describe('ObjectStore.replace (relist)', () => {
  it.each([
    [
      'first list: everything is added',
      [],
      [obj('a', '1'), obj('b', '1')],
      ['add ns/a@1', 'add ns/b@1'],
    ],
    [
      'nothing changed: no events',
      [obj('a', '1'), obj('b', '2')],
      [obj('a', '1'), obj('b', '2')],
      [],
    ],
    [
      'changes, additions and deletions missed while disconnected',
      [obj('a', '1'), obj('b', '2'), obj('c', '3')],
      [obj('a', '1'), obj('b', '5'), obj('d', '6')],
      ['update ns/b@5', 'add ns/d@6', 'delete ns/c@3'],
    ],
    ['everything deleted', [obj('a', '1'), obj('b', '2')], [], ['delete ns/a@1', 'delete ns/b@2']],
    [
      'deleted and recreated under the same name',
      [obj('a', '1')],
      [obj('a', '9', 'new-uid')],
      ['update ns/a@9'],
    ],
  ])('%s', (_name, initial, listed, expected) => {
    const store = new ObjectStore<KubeObject>();
    for (const o of initial) store.upsert(o);
    expect(summary(store.replace(listed))).toEqual(expected);
    expect(
      store
        .list()
        .map((o) => storeKey(o.metadata))
        .sort(),
    ).toEqual(listed.map((o) => storeKey(o.metadata)).sort());
  });
});
