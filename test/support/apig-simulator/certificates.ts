// The certificate resource: in-memory store, its operations, and the console's
// edits; the domains it is attached to live in domains.ts.
import { randomBytes } from 'node:crypto';
import type { HttpReply } from './auth.ts';
import { EMPTY_DETAILS, apigTime, describeCertificate } from './certificate-details.ts';
import { checkCertificateContent, readCertificateRequest } from './certificate-checks.ts';
import type { CertificateRequest } from './certificate-checks.ts';
import { DomainStore } from './domains.ts';
import {
  certificateAttached,
  certificateNotFound,
  instanceNotFound,
  invalidParameter,
  missingParameter,
} from './errors.ts';
import { page } from './paging.ts';
import { pemBlocks } from './pem.ts';
import type { ConsoleEdit, SeedCertificate, StoredCertificate } from './types.ts';

export const GLOBAL_INSTANCE_ID = 'common';

function toResponse(c: StoredCertificate): Record<string, unknown> {
  // Never cert_content, private_key or trusted_root_ca.
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    instance_id: c.instanceId,
    project_id: c.projectId,
    common_name: c.commonName,
    san: c.san,
    not_after: c.notAfter,
    not_before: c.notBefore,
    serial_number: c.serialNumber,
    signature_algorithm: c.signatureAlgorithm,
    algorithm_type: c.algorithmType ?? 'RSA',
    is_has_trusted_root_ca: c.isHasTrustedRootCa,
    version: c.version,
    organization: c.organization,
    organizational_unit: c.organizationalUnit,
    locality: c.locality,
    state: c.state,
    country: c.country,
    issuer: c.issuer,
    create_time: apigTime(c.createTime),
    update_time: apigTime(c.updateTime),
  };
}

/** A list item is APIG's CertBase: no serial_number, not_before, subject or issuer fields. */
const SUMMARY_FIELDS = [
  'id',
  'name',
  'type',
  'instance_id',
  'project_id',
  'common_name',
  'san',
  'not_after',
  'signature_algorithm',
  'create_time',
  'update_time',
  'is_has_trusted_root_ca',
];

function toSummary(c: StoredCertificate): Record<string, unknown> {
  const full = toResponse(c);
  return Object.fromEntries(SUMMARY_FIELDS.map((field) => [field, full[field]]));
}

export class CertificateStore {
  readonly #certificates = new Map<string, StoredCertificate>();
  readonly #instances = new Set<string>();
  readonly #now: () => Date;
  readonly domains = new DomainStore(this.#instances);

  constructor(now: () => Date) {
    this.#now = now;
  }

  addInstance(instanceId: string): void {
    this.#instances.add(instanceId);
  }

  seed(seed: SeedCertificate, defaultProjectId: string): void {
    const type = seed.type ?? 'global';
    if (type === 'instance') {
      if (seed.instanceId === undefined)
        throw new Error(`seeded instance certificate ${seed.id} needs an instanceId`);
      this.#instances.add(seed.instanceId);
    }
    const leaf = seed.certContent === undefined ? undefined : pemBlocks(seed.certContent)[0];
    const now = this.#now();
    this.#certificates.set(seed.id, {
      ...(leaf ? describeCertificate(leaf.der) : EMPTY_DETAILS),
      id: seed.id,
      projectId: seed.projectId ?? defaultProjectId,
      name: seed.name,
      type,
      instanceId: type === 'instance' ? seed.instanceId! : GLOBAL_INSTANCE_ID,
      ...(seed.certContent !== undefined ? { certContent: seed.certContent } : {}),
      ...(seed.privateKey !== undefined ? { privateKey: seed.privateKey } : {}),
      isHasTrustedRootCa: false,
      createTime: now,
      updateTime: now,
    });
  }

  get(id: string): StoredCertificate | undefined {
    const stored = this.#certificates.get(id);
    return stored && { ...stored };
  }

  #find(projectId: string, id: string): StoredCertificate {
    const stored = this.#certificates.get(id);
    if (stored === undefined || stored.projectId !== projectId) throw certificateNotFound(id);
    return stored;
  }

  #store(
    request: CertificateRequest,
    base: { id: string; projectId: string; createTime: Date },
  ): StoredCertificate {
    const { details, algorithmType } = checkCertificateContent(request, this.#now());
    const stored: StoredCertificate = {
      ...details,
      ...base,
      name: request.name,
      type: request.type,
      instanceId: request.instanceId ?? GLOBAL_INSTANCE_ID,
      certContent: request.certContent,
      privateKey: request.privateKey,
      algorithmType,
      // A modify without trusted_root_ca leaves none (not documented either way; the stricter reading).
      ...(request.trustedRootCa !== undefined ? { trustedRootCa: request.trustedRootCa } : {}),
      ...(request.certContentSign !== undefined
        ? { certContentSign: request.certContentSign, privateKeySign: request.privateKeySign! }
        : {}),
      isHasTrustedRootCa: request.trustedRootCa !== undefined,
      updateTime: this.#now(),
    };
    this.#certificates.set(stored.id, stored);
    return stored;
  }

  #requireInstance(request: CertificateRequest): void {
    if (request.instanceId !== undefined && !this.#instances.has(request.instanceId)) {
      throw instanceNotFound(request.instanceId);
    }
  }

  create(projectId: string, body: unknown): HttpReply {
    const request = readCertificateRequest(body);
    this.#requireInstance(request);
    const id = randomBytes(16).toString('hex');
    const stored = this.#store(request, { id, projectId, createTime: this.#now() });
    return { status: 200, body: toResponse(stored) };
  }

  modify(projectId: string, id: string, body: unknown): HttpReply {
    const request = readCertificateRequest(body);
    const existing = this.#find(projectId, id);
    if (request.type !== existing.type) throw invalidParameter('type');
    if ((request.instanceId ?? GLOBAL_INSTANCE_ID) !== existing.instanceId)
      throw invalidParameter('instance_id');
    this.#requireInstance(request);
    const stored = this.#store(request, { id, projectId, createTime: existing.createTime });
    return { status: 200, body: toResponse(stored) };
  }

  show(projectId: string, id: string): HttpReply {
    return { status: 200, body: toResponse(this.#find(projectId, id)) };
  }

  /** Refused while the certificate is attached to a domain. */
  remove(projectId: string, id: string): HttpReply {
    this.#find(projectId, id);
    if (this.domains.attachedTo(id).length > 0) throw certificateAttached(id);
    this.#certificates.delete(id);
    return { status: 204 };
  }

  attach(projectId: string, id: string, body: unknown): HttpReply {
    return this.domains.attach(this.#find(projectId, id), body);
  }

  detach(projectId: string, id: string, body: unknown): HttpReply {
    return this.domains.detach(this.#find(projectId, id), body);
  }

  consoleEdit(id: string, edit: ConsoleEdit): void {
    const existing = this.#certificates.get(id);
    if (existing === undefined) throw certificateNotFound(id);
    const request: CertificateRequest = {
      name: edit.name ?? existing.name,
      certContent: edit.certContent,
      privateKey: edit.privateKey,
      type: existing.type,
      ...(existing.type === 'instance' ? { instanceId: existing.instanceId } : {}),
      ...(existing.trustedRootCa !== undefined ? { trustedRootCa: existing.trustedRootCa } : {}),
    };
    this.#store(request, { id, projectId: existing.projectId, createTime: existing.createTime });
  }

  consoleDelete(id: string): void {
    if (!this.#certificates.has(id)) throw certificateNotFound(id);
    this.domains.detachAll(id);
    this.#certificates.delete(id);
  }

  /** ROMA Connect (`apic`) requires `instance_id`; `name` matches any part of the name. */
  list(projectId: string, query: URLSearchParams, service: 'apigw' | 'apic'): HttpReply {
    if (service === 'apic' && !query.get('instance_id')) throw missingParameter('instance_id');
    const name = query.get('name');
    const type = query.get('type');
    const instanceId = query.get('instance_id');
    const commonName = query.get('common_name');
    if (type !== null && type !== '' && type !== 'global' && type !== 'instance')
      throw invalidParameter('type');
    const matching = [...this.#certificates.values()].filter(
      (c) =>
        c.projectId === projectId &&
        (!name || c.name.includes(name)) &&
        (!type || c.type === type) &&
        (!instanceId || c.instanceId === instanceId) &&
        (!commonName || c.commonName.includes(commonName)),
    );
    const items = page(matching, query);
    return {
      status: 200,
      body: { size: items.length, total: matching.length, certs: items.map(toSummary) },
    };
  }

  attachedDomains(projectId: string, id: string, query: URLSearchParams): HttpReply {
    return this.domains.list(this.#find(projectId, id), query);
  }
}
