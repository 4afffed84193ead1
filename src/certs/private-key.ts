// Private key blocks: encryption, algorithm (RSA, ECC or SM2, as APIG's
// algorithm_type names them) and loading into node:crypto. The algorithm is
// read from the key's own ASN.1 structure (PKCS#8's AlgorithmIdentifier,
// PKCS#1 or SEC1 schemas):
// node:crypto has no name for SM2 keys, and OpenSSL builds without SM2 cannot
// load them at all.
import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import { RSAPrivateKey } from '@peculiar/asn1-rsa';
import { AsnParser } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { fromBER } from 'asn1js';
import type { AlgorithmType } from '../api/v1alpha1.ts';
import { childrenOf, elementAt, TAG, withTag } from './der.ts';
import type { PemBlock } from './pem.ts';

/**
 * The SM2 curve (GB/T 32918). SM2 keys are EC keys on this curve; OpenSSL
 * cannot load PKCS#8 that names it as the algorithm instead, so neither do we.
 */
export const OID_SM2 = '1.2.156.10197.1.301';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';

const ECC_CURVES: Readonly<Record<string, string>> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

const UNSUPPORTED_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.2.840.10040.4.1': 'DSA',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** Labels that hold a private key; other labels in `tls.key` are misplaced. */
export function isPrivateKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY');
}

/** `openssl ecparam -genkey` writes the curve as a separate block before the key: harmless. */
export const EC_PARAMETERS_LABEL = 'EC PARAMETERS';

/** PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy OpenSSL key with `Proc-Type: 4,ENCRYPTED`. */
export function isEncryptedKey(block: PemBlock): boolean {
  return (
    block.label === 'ENCRYPTED PRIVATE KEY' ||
    (block.headers.get('Proc-Type') ?? '').toUpperCase().includes('ENCRYPTED')
  );
}

export type KeyAlgorithm =
  | {
      readonly supported: true;
      readonly algorithmType: AlgorithmType;
      /** e.g. `RSA`, `ECC P-384`, `SM2`. */
      readonly description: string;
    }
  | { readonly supported: false; readonly description: string };

type KeyEncoding = 'pkcs8' | 'pkcs1' | 'sec1';

export interface LoadedPrivateKey {
  readonly algorithm: KeyAlgorithm;
  readonly keyObject: KeyObject;
}

/**
 * Reads an unencrypted private key block; undefined when the block is not a
 * key this module can read. The algorithm comes from the DER structure, then
 * OpenSSL must load the key, which validates it.
 */
export function loadPrivateKey(block: PemBlock): LoadedPrivateKey | undefined {
  const read = readAlgorithm(block);
  if (!read) return undefined;
  try {
    const keyObject = createPrivateKey({ key: block.der, format: 'der', type: read.encoding });
    return { algorithm: read.algorithm, keyObject };
  } catch {
    return undefined;
  }
}

function readAlgorithm(
  block: PemBlock,
): { algorithm: KeyAlgorithm; encoding: KeyEncoding } | undefined {
  switch (block.label) {
    case 'PRIVATE KEY': {
      const algorithm = pkcs8Algorithm(block.der);
      return algorithm && { algorithm, encoding: 'pkcs8' };
    }
    case 'RSA PRIVATE KEY':
      // Checked here because OpenSSL loads any key type under the PKCS#1 hint.
      return isPkcs1(block.der)
        ? {
            algorithm: { supported: true, algorithmType: 'RSA', description: 'RSA' },
            encoding: 'pkcs1',
          }
        : undefined;
    case 'EC PRIVATE KEY': {
      const algorithm = sec1Algorithm(block.der);
      return algorithm && { algorithm, encoding: 'sec1' };
    }
    default:
      return undefined;
  }
}

/**
 * The schema's reading of `der`; undefined when `der` does not match it or
 * carries bytes after the value (OpenSSL would load the key and ignore them).
 */
function parse<T>(der: Buffer, schema: new () => T): T | undefined {
  try {
    const ber = fromBER(der);
    return ber.offset === der.length ? AsnParser.fromASN(ber.result, schema) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The privateKeyAlgorithm of a PKCS#8 PrivateKeyInfo (RFC 5208), sliced out
 * by the DER walker: mapping the whole key through the schema parser took
 * 1.3 ms per reconcile, most of it the key's OCTET STRING nobody reads here.
 * OpenSSL then loads the key, which checks the rest.
 */
function pkcs8AlgorithmIdentifier(der: Buffer): AlgorithmIdentifier | undefined {
  try {
    const info = withTag(elementAt(der, 0, der.length), TAG.sequence, 'PrivateKeyInfo');
    // Bytes after the value: OpenSSL would load the key and ignore them.
    if (info.end !== der.length) return undefined;
    const [version, algorithm, key] = childrenOf(der, info);
    if (!version || !algorithm || !key) return undefined;
    withTag(version, TAG.integer, 'version');
    withTag(key, TAG.octetString, 'privateKey');
    return parse(der.subarray(algorithm.start, algorithm.end), AlgorithmIdentifier);
  } catch {
    return undefined;
  }
}

function pkcs8Algorithm(der: Buffer): KeyAlgorithm | undefined {
  const identifier = pkcs8AlgorithmIdentifier(der);
  if (!identifier) return undefined;
  const { algorithm, parameters } = identifier;
  if (algorithm === OID_RSA) return { supported: true, algorithmType: 'RSA', description: 'RSA' };
  if (algorithm === OID_EC_PUBLIC_KEY) {
    const curve = parameters ? parse(Buffer.from(parameters), ECParameters) : undefined;
    return curveAlgorithm(curve?.namedCurve);
  }
  return { supported: false, description: UNSUPPORTED_ALGORITHMS[algorithm] ?? `OID ${algorithm}` };
}

function isPkcs1(der: Buffer): boolean {
  return parse(der, RSAPrivateKey) !== undefined;
}

function sec1Algorithm(der: Buffer): KeyAlgorithm | undefined {
  const key = parse(der, ECPrivateKey);
  return key && curveAlgorithm(key.parameters?.namedCurve);
}

function curveAlgorithm(curve: string | undefined): KeyAlgorithm {
  if (curve === OID_SM2) return { supported: true, algorithmType: 'SM2', description: 'SM2' };
  const name = curve && ECC_CURVES[curve];
  if (name) return { supported: true, algorithmType: 'ECC', description: `ECC ${name}` };
  return {
    supported: false,
    description: curve ? `EC on curve OID ${curve}` : 'EC without a named curve',
  };
}
