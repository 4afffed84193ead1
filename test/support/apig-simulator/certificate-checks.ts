// What APIG checks in a create/modify body, in the order a real server most
// plausibly applies it: body shape and parameters first (APIG.2001/2012), then
// (in the handler) resource look-ups (APIG.3025/3030), then the PEM content.
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ApigError, invalidParameter, missingParameter } from './errors.ts';
import { describeCertificate } from './certificate-details.ts';
import { pemBlocks } from './pem.ts';
import type { CertificateDetails } from './types.ts';

export type AlgorithmType = 'RSA' | 'ECC' | 'SM2';
const ALGORITHM_TYPES: readonly string[] = ['RSA', 'ECC', 'SM2'];

export interface CertificateRequest {
  name: string;
  certContent: string;
  privateKey: string;
  type: 'global' | 'instance';
  /** Only for type=instance. */
  instanceId?: string;
  trustedRootCa?: string;
  algorithmType?: AlgorithmType;
  certContentSign?: string;
  privateKeySign?: string;
}

export interface CheckedContent {
  details: CertificateDetails;
  algorithmType: AlgorithmType;
}

/** 4-50 characters, a letter first (any script), then letters, digits and '_'. */
const NAME_RULE = /^\p{L}[\p{L}0-9_]{3,49}$/u;

/** The latest not_after APIG accepts: the 32-bit time_t limit. */
export const LATEST_NOT_AFTER = new Date('2038-01-19T03:14:07Z');

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidParameter(field);
  return value;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw missingParameter(field);
  return value;
}

/** Body shape and parameter rules (APIG.2001 / APIG.2012). */
export function readCertificateRequest(body: unknown): CertificateRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApigError(400, 'APIG.2000', 'The request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const name = requiredString(fields, 'name');
  const certContent = requiredString(fields, 'cert_content');
  const privateKey = requiredString(fields, 'private_key');
  if (!NAME_RULE.test(name)) throw invalidParameter('name');

  const type = optionalString(fields, 'type') ?? 'global';
  if (type !== 'global' && type !== 'instance') throw invalidParameter('type');
  const instanceId = optionalString(fields, 'instance_id');
  if (type === 'instance' && instanceId === undefined) throw missingParameter('instance_id');

  const trustedRootCa = optionalString(fields, 'trusted_root_ca');
  // Documented for instance certificates only (client-certificate verification).
  if (trustedRootCa !== undefined && type !== 'instance') throw invalidParameter('trusted_root_ca');

  const algorithmType = optionalString(fields, 'algorithm_type');
  if (algorithmType !== undefined && !ALGORITHM_TYPES.includes(algorithmType)) {
    throw invalidParameter('algorithm_type');
  }
  const certContentSign = optionalString(fields, 'cert_content_sign');
  const privateKeySign = optionalString(fields, 'private_key_sign');
  if (algorithmType === 'SM2') {
    if (certContentSign === undefined) throw missingParameter('cert_content_sign');
    if (privateKeySign === undefined) throw missingParameter('private_key_sign');
  }

  return {
    name,
    certContent,
    privateKey,
    type,
    ...(type === 'instance' ? { instanceId } : {}),
    ...(trustedRootCa !== undefined ? { trustedRootCa } : {}),
    ...(algorithmType !== undefined ? { algorithmType: algorithmType as AlgorithmType } : {}),
    ...(algorithmType === 'SM2' ? { certContentSign, privateKeySign } : {}),
  };
}

function invalidContent(field: string, why: string): ApigError {
  return new ApigError(
    400,
    'APIG.2106',
    `Invalid certificate or private key,parameterName:${field}: ${why}`,
  );
}

interface ParsedCertificate {
  der: Buffer;
  node: X509Certificate;
}

/** Every block must be a parsable CERTIFICATE; at least one. */
function parseCertificates(pem: string, field: string): ParsedCertificate[] {
  const blocks = pemBlocks(pem);
  if (blocks.length === 0) throw invalidContent(field, 'not a PEM certificate');
  return blocks.map((block) => {
    if (block.label !== 'CERTIFICATE')
      throw invalidContent(field, `unexpected PEM block ${block.label}`);
    try {
      return { der: block.der, node: new X509Certificate(block.der) };
    } catch {
      throw invalidContent(field, 'the certificate cannot be parsed');
    }
  });
}

const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

/** One unencrypted private key (PKCS#8, PKCS#1 or SEC1; an EC PARAMETERS block may precede it). */
function parsePrivateKey(pem: string, field: string): KeyObject {
  const blocks = pemBlocks(pem).filter((block) => block.label !== 'EC PARAMETERS');
  const [block, ...extra] = blocks;
  if (block === undefined || extra.length > 0)
    throw invalidContent(field, 'not a single PEM private key');
  if (
    block.label === 'ENCRYPTED PRIVATE KEY' ||
    block.headers.some((h) => /^Proc-Type:.*ENCRYPTED/.test(h))
  ) {
    throw new ApigError(400, 'APIG.2105', 'Encrypted private keys are not supported');
  }
  if (!KEY_LABELS.includes(block.label))
    throw invalidContent(field, `unexpected PEM block ${block.label}`);
  try {
    return createPrivateKey(block.text);
  } catch {
    throw invalidContent(field, 'the private key cannot be parsed');
  }
}

/** DER of the SM2 curve OID 1.2.156.10197.1.301. */
const SM2_CURVE_OID = Buffer.from('06082a811ccf5501822d', 'hex');

function algorithmOf(key: KeyObject): AlgorithmType | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RSA';
  if (key.asymmetricKeyType === 'ec')
    return key.asymmetricKeyDetails?.namedCurve === 'SM2' ? 'SM2' : 'ECC';
  // Node leaves the type of an imported SM2 key undefined (OpenSSL reports SM2, not EC).
  if (
    key.asymmetricKeyType === undefined &&
    key.export({ type: 'pkcs8', format: 'der' }).includes(SM2_CURVE_OID)
  ) {
    return 'SM2';
  }
  return undefined; // Ed25519, DSA, ...: not something APIG serves
}

const SM2_WITH_SM3 = '1.2.156.10197.1.501';

/**
 * Each certificate must be issued (name and signature) by the one after it.
 * SM2-with-SM3 signatures are matched by name only: OpenSSL's X.509 check and
 * Node's signer disagree on the SM2 distinguishing ID, so a signature check
 * here would reject good chains.
 */
function inOrder(chain: ParsedCertificate[]): boolean {
  return chain.every((cert, i) => {
    const next = chain[i + 1];
    if (next === undefined) return true;
    if (!cert.node.checkIssued(next.node)) return false;
    return (
      cert.node.signatureAlgorithmOid === SM2_WITH_SM3 || cert.node.verify(next.node.publicKey)
    );
  });
}

function samePublicKey(cert: X509Certificate, key: KeyObject): boolean {
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return fromCert.equals(fromKey);
}

interface CheckedPair {
  leaf: ParsedCertificate;
  algorithm: AlgorithmType;
}

function checkPair(
  certPem: string,
  keyPem: string,
  certField: string,
  keyField: string,
  now: Date,
): CheckedPair {
  const chain = parseCertificates(certPem, certField);
  const key = parsePrivateKey(keyPem, keyField);
  const leaf = chain[0]!;
  const algorithm = algorithmOf(key);
  if (algorithm === undefined)
    throw invalidContent(keyField, `unsupported key type ${key.asymmetricKeyType}`);
  if (!inOrder(chain)) {
    throw new ApigError(
      400,
      'APIG.2104',
      'The certificate chain is out of order: put the server certificate first, then each issuer in order',
    );
  }
  if (!samePublicKey(leaf.node, key)) {
    throw new ApigError(400, 'APIG.2101', 'The certificate does not match the private key');
  }
  if (leaf.node.validToDate.getTime() < now.getTime()) {
    throw new ApigError(
      400,
      'APIG.2102',
      `The certificate has expired (not_after ${leaf.node.validToDate.toISOString()})`,
    );
  }
  // OpenSSL prints the extension when present: no second X.509 parse per request.
  if (leaf.node.subjectAltName === undefined) {
    throw new ApigError(400, 'APIG.2109', 'The certificate has no subject alternative name (SAN)');
  }
  if (leaf.node.validToDate.getTime() > LATEST_NOT_AFTER.getTime()) {
    throw new ApigError(
      400,
      'APIG.3148',
      'The certificate must expire before 2038-01-19T03:14:07Z',
    );
  }
  return { leaf, algorithm };
}

/** PEM content checks (APIG.2106, 2105, 2104, 2101, 2102, 2109, 3148), computed from the material sent. */
export function checkCertificateContent(request: CertificateRequest, now: Date): CheckedContent {
  const { leaf, algorithm } = checkPair(
    request.certContent,
    request.privateKey,
    'cert_content',
    'private_key',
    now,
  );
  // Inferred: a declared algorithm_type must describe the key; SM2 material only goes through the SM2 form.
  const declared = request.algorithmType ?? (algorithm === 'SM2' ? undefined : algorithm);
  if (declared !== algorithm) throw invalidParameter('algorithm_type');
  if (algorithm === 'SM2') {
    const signing = checkPair(
      request.certContentSign!,
      request.privateKeySign!,
      'cert_content_sign',
      'private_key_sign',
      now,
    );
    if (signing.algorithm !== 'SM2') throw invalidParameter('algorithm_type');
  }
  if (request.trustedRootCa !== undefined)
    parseCertificates(request.trustedRootCa, 'trusted_root_ca');
  return { details: describeCertificate(leaf.der), algorithmType: algorithm };
}
