// What a watch keeps of an object: metadata stubs for Secrets and ConfigMaps
// (their data never reaches the process through a watch), whole objects
// without managedFields otherwise.
import type { KubeObject, ObjectMeta } from './object-store.ts';

/** An object as the API server sent it, before projection. */
export interface RawObject {
  metadata?: ObjectMeta & Record<string, unknown>;
  [field: string]: unknown;
}

/** What a metadata-only watch keeps of each object: nothing but identity and version. */
export interface MetadataStub extends KubeObject {
  metadata: { namespace?: string; name?: string; uid?: string; resourceVersion?: string };
}

/** Accept headers that make the API server strip everything but metadata. */
export const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const METADATA_WATCH_ACCEPT =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * Keeps namespace, name, uid and resourceVersion only. Labels and annotations
 * are dropped too: they can be large (Helm, last-applied-configuration) and a
 * change to a referenced Secret is detected by its resourceVersion alone.
 */
export function metadataStub(raw: RawObject): MetadataStub {
  const m = raw.metadata ?? {};
  return {
    metadata: {
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
    },
  };
}

/** The object as sent minus `metadata.managedFields`, which nobody here reads. */
export function withoutManagedFields<T extends KubeObject>(raw: RawObject): T {
  if (!raw.metadata || !('managedFields' in raw.metadata)) return raw as unknown as T;
  const metadata = { ...raw.metadata };
  delete metadata.managedFields;
  return { ...raw, metadata } as unknown as T;
}
