// The certificate resource of APIG / ROMA Connect: request bodies in, typed
// results out. The client speaks camelCase to the rest of the operator and
// snake_case on the wire; the mapping lives only here.
import type { AlgorithmType, CertificateType } from '../api/v1alpha1.ts';
import {
  ResponseShapeError,
  optionalString,
  parsePage,
  requireObject,
  requiredString,
  stringArray,
  type Json,
  type Page,
} from './wire.ts';

/** Where a certificate lives: project (default: the client's), type and instance. */
export interface CertificateScope {
  projectId?: string | undefined;
  type?: CertificateType | undefined;
  /** The gateway of an `instance` certificate; ROMA Connect needs it to list too. */
  instanceId?: string | undefined;
}

/** A list filter: the scope, and `name` matched exactly. */
export type CertificateQuery = CertificateScope & { name?: string | undefined };

/** Body of a certificate create (POST) or modify (PUT). Undefined fields are not sent. */
export interface CertificateBody {
  name: string;
  /** PEM: leaf first, then intermediates in order. */
  certContent: string;
  /** PEM, unencrypted. */
  privateKey: string;
  type?: CertificateType | undefined;
  /** Required when type is `instance`. */
  instanceId?: string | undefined;
  /** CA for client certificates; re-send it on every modify that should keep it. */
  trustedRootCa?: string | undefined;
  algorithmType?: AlgorithmType | undefined;
  /** SM2 only: the signing pair (certContent/privateKey then hold the encryption pair). */
  certContentSign?: string | undefined;
  privateKeySign?: string | undefined;
}

/** What APIG returns for a certificate (create, modify, show, list), camelCased, values as sent. */
export interface ApigCertificate {
  id: string;
  name: string;
  type: string;
  /** `common` for global certificates. */
  instanceId: string;
  projectId: string;
  commonName: string;
  san: string[];
  /** As APIG wrote it, e.g. `2031-08-16T06:36:13Z` ('' only in list items that omit it). */
  notAfter: string;
  notBefore: string;
  /** '' only in list items that omit it. */
  serialNumber: string;
  signatureAlgorithm: string;
  algorithmType: string;
  isHasTrustedRootCa: boolean;
  version: number | undefined;
  organization: string[];
  organizationalUnit: string[];
  locality: string[];
  state: string[];
  country: string[];
  issuer: string[];
  createTime: string;
  updateTime: string;
}

const WIRE_FIELDS: Record<keyof CertificateBody, string> = {
  name: 'name',
  certContent: 'cert_content',
  privateKey: 'private_key',
  type: 'type',
  instanceId: 'instance_id',
  trustedRootCa: 'trusted_root_ca',
  algorithmType: 'algorithm_type',
  certContentSign: 'cert_content_sign',
  privateKeySign: 'private_key_sign',
};

/** The JSON object sent on the wire: snake_case, present fields only. */
export function toWireBody(body: CertificateBody): Record<string, string> {
  const wire: Record<string, string> = {};
  for (const [field, wireName] of Object.entries(WIRE_FIELDS)) {
    const value = body[field as keyof CertificateBody];
    if (value !== undefined) wire[wireName] = value;
  }
  return wire;
}

function certificateFields(raw: Json, summary: boolean): ApigCertificate {
  const version = raw.version;
  if (version !== undefined && version !== null && typeof version !== 'number') {
    throw new ResponseShapeError('field version is not a number');
  }
  const trusted = raw.is_has_trusted_root_ca;
  if (trusted !== undefined && trusted !== null && typeof trusted !== 'boolean') {
    throw new ResponseShapeError('field is_has_trusted_root_ca is not a boolean');
  }
  // A list item (CertBase) documents no serial_number or not_before.
  const described = summary ? optionalString : requiredString;
  return {
    id: requiredString(raw, 'id'),
    name: requiredString(raw, 'name'),
    type: optionalString(raw, 'type'),
    instanceId: optionalString(raw, 'instance_id'),
    projectId: optionalString(raw, 'project_id'),
    commonName: optionalString(raw, 'common_name'),
    san: stringArray(raw, 'san'),
    notAfter: described(raw, 'not_after'),
    notBefore: optionalString(raw, 'not_before'),
    serialNumber: described(raw, 'serial_number'),
    signatureAlgorithm: optionalString(raw, 'signature_algorithm'),
    algorithmType: optionalString(raw, 'algorithm_type'),
    isHasTrustedRootCa: trusted === true,
    version: typeof version === 'number' ? version : undefined,
    organization: stringArray(raw, 'organization'),
    organizationalUnit: stringArray(raw, 'organizational_unit'),
    locality: stringArray(raw, 'locality'),
    state: stringArray(raw, 'state'),
    country: stringArray(raw, 'country'),
    issuer: stringArray(raw, 'issuer'),
    createTime: optionalString(raw, 'create_time'),
    updateTime: optionalString(raw, 'update_time'),
  };
}

/**
 * Validates APIG's answer to a create, modify or show: `id` and `name`, and
 * `not_after` and `serial_number` non-empty (APIG describes the content it
 * holds); other fields default to empty when absent but must have the
 * documented type when present.
 */
export function parseCertificate(raw: unknown): ApigCertificate {
  return certificateFields(requireObject(raw, 'body'), false);
}

/** One page of `GET certificates`: `{size, total, certs[]}`; items may omit serial and not-after. */
export function parseCertificatePage(raw: unknown): Page<ApigCertificate> {
  return parsePage(raw, 'certs', (item) =>
    certificateFields(requireObject(item, 'certificate'), true),
  );
}
