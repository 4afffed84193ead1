// What APIG is sent for an ApigCertificate, and the digest that identifies
// that content (the identity behind "one PUT per content", see ledger.ts).
import { createHash } from 'node:crypto';
import type { CertificateBody, CertificateTarget } from '../apig/index.ts';
import type { ValidatedCertificate } from '../certs/index.ts';
import type { ApigCertificateResource } from '../api/v1alpha1.ts';
import type { ReconcileInput } from './reconcile.ts';

export function certificateBody(
  resource: ApigCertificateResource,
  cert: ValidatedCertificate,
): CertificateBody {
  const { spec } = resource;
  const { payload } = cert;
  return {
    name: spec.name,
    certContent: payload.certContent,
    privateKey: payload.privateKey,
    type: spec.type ?? 'global',
    instanceId: spec.type === 'instance' ? spec.instanceId : undefined,
    trustedRootCa: payload.trustedRootCa,
    algorithmType: payload.algorithmType,
    certContentSign: payload.certContentSign,
    privateKeySign: payload.privateKeySign,
  };
}

/**
 * SHA-256 over everything that decides what APIG ends up holding: where it
 * goes and what is sent. The key is inside the hashed bytes, never in the
 * output; the digest lives in status, where GitOps tools do not revert it.
 */
export function contentDigest(
  apig: ReconcileInput['apig'],
  target: CertificateTarget,
  body: CertificateBody,
): string {
  const canonical = JSON.stringify([
    apig.endpoint,
    apig.service,
    target.projectId ?? '',
    target.certificateId,
    body.name,
    body.type ?? '',
    body.instanceId ?? '',
    body.algorithmType ?? '',
    body.certContent,
    body.privateKey,
    body.certContentSign ?? '',
    body.privateKeySign ?? '',
    body.trustedRootCa ?? '',
  ]);
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
