// The PEM content of tls.crt, tls.key and spec.trustedRootCA read into
// certificates and one usable key, or the CertificateInputError that says
// what is wrong with it (labels only, never content).
import type { KeyObject } from 'node:crypto';
import type { AlgorithmType } from '../api/v1alpha1.ts';
import { parseCertificate } from './certificate.ts';
import type { ParsedCertificate } from './certificate.ts';
import { CertificateInputError } from './errors.ts';
import type { InputField } from './errors.ts';
import { describePemProblem, encodePem, parsePem, parsePemBytes } from './pem.ts';
import type { PemBlock } from './pem.ts';
import {
  EC_PARAMETERS_LABEL,
  isEncryptedKey,
  isPrivateKeyLabel,
  loadPrivateKey,
} from './private-key.ts';

const CERTIFICATE_LABEL = 'CERTIFICATE';

export function readCertificates(bytes: Buffer, field: InputField): ParsedCertificate[] {
  const pem = parsePemBytes(bytes);
  if (!pem.ok) {
    throw new CertificateInputError(
      'CertificateNotPEM',
      field,
      describePemProblem(pem.problem, field),
    );
  }
  const others = pem.blocks.filter((b) => b.label !== CERTIFICATE_LABEL);
  if (others.length === pem.blocks.length) {
    throw new CertificateInputError(
      'CertificateMissing',
      field,
      `${field} holds no CERTIFICATE block, only ${listLabels(others)}`,
    );
  }
  if (others.length > 0) {
    throw new CertificateInputError(
      'UnexpectedPEMBlock',
      field,
      `${field} holds ${listLabels(others)} besides its certificates; it must hold only CERTIFICATE blocks`,
    );
  }
  return pem.blocks.map((block, index) => {
    const cert = parseCertificate(block.der);
    if (!cert) {
      throw new CertificateInputError(
        'CertificateInvalid',
        field,
        `certificate #${index + 1} of ${field} is not a valid X.509 certificate`,
      );
    }
    return cert;
  });
}

export function readKeyBlock(bytes: Buffer, field: InputField): PemBlock {
  const pem = parsePemBytes(bytes);
  if (!pem.ok) {
    throw new CertificateInputError(
      'PrivateKeyNotPEM',
      field,
      describePemProblem(pem.problem, field),
    );
  }
  const keys = pem.blocks.filter((b) => isPrivateKeyLabel(b.label));
  const others = pem.blocks.filter(
    (b) => !isPrivateKeyLabel(b.label) && b.label !== EC_PARAMETERS_LABEL,
  );
  if (keys.length === 0) {
    throw new CertificateInputError(
      'PrivateKeyMissing',
      field,
      `${field} holds no private key, only ${listLabels(pem.blocks)}`,
    );
  }
  if (others.length > 0 || keys.length > 1) {
    throw new CertificateInputError(
      'UnexpectedPEMBlock',
      field,
      `${field} holds ${listLabels([...keys, ...others])}; it must hold exactly one private key`,
    );
  }
  return keys[0]!;
}

export interface UsableKey {
  readonly keyObject: KeyObject;
  readonly algorithmType: AlgorithmType;
  readonly description: string;
}

export function readKey(block: PemBlock, field: InputField): UsableKey {
  if (isEncryptedKey(block)) {
    throw new CertificateInputError(
      'PrivateKeyEncrypted',
      field,
      `${field} is an encrypted private key (${block.label}); APIG accepts only unencrypted keys`,
    );
  }
  const key = loadPrivateKey(block);
  if (!key) {
    throw new CertificateInputError(
      'PrivateKeyInvalid',
      field,
      `${field}: the ${block.label} block is not a valid PKCS#8, PKCS#1 (RSA) or SEC1 (EC) private key`,
    );
  }
  if (!key.algorithm.supported) {
    throw new CertificateInputError(
      'KeyAlgorithmUnsupported',
      field,
      `${field} holds an unsupported key (${key.algorithm.description}); ` +
        'APIG supports RSA, ECC (P-256, P-384, P-521) and SM2',
    );
  }
  return {
    keyObject: key.keyObject,
    algorithmType: key.algorithm.algorithmType,
    description: key.algorithm.description,
  };
}

export function normaliseTrustedRootCA(text: string): string {
  const field = 'spec.trustedRootCA';
  const pem = parsePem(text);
  if (!pem.ok) {
    throw new CertificateInputError(
      'TrustedRootCAInvalid',
      field,
      describePemProblem(pem.problem, field),
    );
  }
  const others = pem.blocks.filter((b) => b.label !== CERTIFICATE_LABEL);
  if (others.length > 0) {
    throw new CertificateInputError(
      'TrustedRootCAInvalid',
      field,
      `${field} holds ${listLabels(others)}; it must hold only CERTIFICATE blocks`,
    );
  }
  pem.blocks.forEach((block, index) => {
    if (!parseCertificate(block.der)) {
      throw new CertificateInputError(
        'TrustedRootCAInvalid',
        field,
        `certificate #${index + 1} of ${field} is not a valid X.509 certificate`,
      );
    }
  });
  return pem.blocks.map((b) => encodePem(b.label, b.der)).join('\n');
}

/** `a PRIVATE KEY block`, `2 CERTIFICATE blocks and a PUBLIC KEY block`: labels only, never content. */
function listLabels(blocks: readonly PemBlock[]): string {
  const counts = new Map<string, number>();
  for (const { label } of blocks) counts.set(label, (counts.get(label) ?? 0) + 1);
  const parts = [...counts].map(([label, n]) =>
    n === 1 ? `a ${label} block` : `${n} ${label} blocks`,
  );
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}` : parts[0]!;
}
