// What an ApigCertificate reads, for the kube reference index: a change to any
// of these objects must reconcile the resources that name it.
import type { ObjectReference } from '../kube/reference-index.ts';

export type ReferencedKind = 'Secret' | 'ConfigMap';

/** A Secret or ConfigMap an ApigCertificate reads, always in its own namespace. */
export type ApigCertificateReference = ObjectReference<ReferencedKind>;

interface NameRef {
  name?: unknown;
}

/**
 * The parts of an ApigCertificate that name other objects. Typed loosely on
 * purpose: objects come from the API server and a reference may be absent or
 * malformed, which must not break indexing.
 */
export interface ApigCertificateReferences {
  metadata: { namespace?: string; name?: string };
  spec?: {
    secretRef?: NameRef;
    signSecretRef?: NameRef;
    trustedRootCA?: { secretRef?: NameRef; configMapRef?: NameRef };
  };
}

/** Every Secret and ConfigMap `resource` reads: secretRef, signSecretRef, trustedRootCA. */
export function referencesOf(resource: ApigCertificateReferences): ApigCertificateReference[] {
  const namespace = resource.metadata.namespace;
  const spec = resource.spec;
  if (!namespace || !spec) return [];
  const refs: ApigCertificateReference[] = [];
  const add = (kind: ReferencedKind, ref: NameRef | undefined): void => {
    if (typeof ref?.name === 'string' && ref.name !== '') {
      refs.push({ kind, namespace, name: ref.name });
    }
  };
  add('Secret', spec.secretRef);
  add('Secret', spec.signSecretRef);
  add('Secret', spec.trustedRootCA?.secretRef);
  add('ConfigMap', spec.trustedRootCA?.configMapRef);
  return refs;
}
