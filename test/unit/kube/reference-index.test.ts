import { ReferenceIndex } from '../../../src/kube/reference-index.ts';

// The index is generic: what an owner references is the extractor's business.
// The ApigCertificate extractor and the index over it are tested in
// test/unit/controller/references.test.ts.
describe('ReferenceIndex with any extractor', () => {
  interface Pod {
    metadata: { namespace?: string; name?: string };
    volumes: string[];
  }
  const volumesOf = (pod: Pod) =>
    pod.volumes.map((name) => ({ kind: 'PersistentVolumeClaim', namespace: 'ns', name }));

  it('indexes whatever the extractor returns', () => {
    const index = new ReferenceIndex(volumesOf);
    const pod: Pod = { metadata: { namespace: 'ns', name: 'p' }, volumes: ['data', 'logs'] };
    index.applyOwnerEvent({ type: 'add', object: pod });
    expect(index.owners({ kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'logs' })).toEqual([
      'ns/p',
    ]);
    expect(index.size).toBe(2);
  });

  it('keeps kinds apart and forgets an owner on delete', () => {
    const index = new ReferenceIndex(volumesOf);
    const pod: Pod = { metadata: { namespace: 'ns', name: 'p' }, volumes: ['data'] };
    index.applyOwnerEvent({ type: 'add', object: pod });
    expect(index.owners({ kind: 'Secret', namespace: 'ns', name: 'data' })).toEqual([]);
    index.applyOwnerEvent({ type: 'delete', object: pod });
    expect(index.owners({ kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data' })).toEqual(
      [],
    );
    expect(index.size).toBe(0);
  });
});
