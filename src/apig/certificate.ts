// The certificate resource of APIG / ROMA Connect: request bodies in, typed
// results out. The client speaks camelCase to the rest of the operator and
// snake_case on the wire; the mapping lives only here.
import type { AlgorithmType, CertificateType } from '../api/v1alpha1.ts';

/** Body of a certificate modify (PUT). Undefined fields are not sent. */
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

/** What APIG returns for a certificate after a modify, camelCased, values as sent. */
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

/** Why a response body is not a certificate; the client wraps it in ApigProtocolError. */
export class ResponseShapeError extends Error {
  override readonly name = 'ResponseShapeError';
  readonly kind = 'responseShape';
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(raw: Json, field: string): string {
  const value = raw[field];
  if (typeof value !== 'string' || value === '') {
    throw new ResponseShapeError(`field ${field} is missing or not a non-empty string`);
  }
  return value;
}

function optionalString(raw: Json, field: string): string {
  const value = raw[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ResponseShapeError(`field ${field} is not a string`);
  return value;
}

function stringArray(raw: Json, field: string): string[] {
  const value = raw[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ResponseShapeError(`field ${field} is not an array of strings`);
  }
  return value;
}

/**
 * Validates APIG's answer to a write: `id` and `name`, and `not_after` and
 * `serial_number` non-empty (APIG describes the content just sent); other
 * fields default to empty when absent but must have the documented type when
 * present.
 */
export function parseCertificate(raw: unknown): ApigCertificate {
  if (!isObject(raw)) throw new ResponseShapeError('body is not a JSON object');
  const version = raw.version;
  if (version !== undefined && version !== null && typeof version !== 'number') {
    throw new ResponseShapeError('field version is not a number');
  }
  const trusted = raw.is_has_trusted_root_ca;
  if (trusted !== undefined && trusted !== null && typeof trusted !== 'boolean') {
    throw new ResponseShapeError('field is_has_trusted_root_ca is not a boolean');
  }
  return {
    id: requiredString(raw, 'id'),
    name: requiredString(raw, 'name'),
    type: optionalString(raw, 'type'),
    instanceId: optionalString(raw, 'instance_id'),
    projectId: optionalString(raw, 'project_id'),
    commonName: optionalString(raw, 'common_name'),
    san: stringArray(raw, 'san'),
    notAfter: requiredString(raw, 'not_after'),
    notBefore: optionalString(raw, 'not_before'),
    serialNumber: requiredString(raw, 'serial_number'),
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
