// A fleet: N TLS Secrets and their ApigCertificates in a namespace of their
// own, the matching certificates seeded in the fleet's APIG (the bench's
// simulator, or a provider's own endpoint), and fresh certificates to rotate
// them with. EC keys, one shared key pair: a
// certificate then costs a signature (~1-3 ms), not a key generation.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../../src/kube/kube-client.ts';
import {
  issueCertificate,
  sharedKeyPair,
  tlsSecretData,
  type IssuedCertificate,
} from '../support/certs.ts';
import type { ApigCertificateSpec } from '../../src/api/v1alpha1.ts';
import {
  createApigCertificate,
  createNamespace,
  createSecret,
  emptyNamespace,
  replaceSecret,
} from './cluster.ts';
import { forEachLimited } from './pool.ts';

/** Requests in flight against the API server when creating or rewriting objects. */
export const API_CONCURRENCY = 20;

export interface FleetMember {
  index: number;
  /** ApigCertificate name. */
  name: string;
  secretName: string;
  certificateId: string;
  /** `namespace/name`, the operator's work-queue key and log `resource`. */
  key: string;
}

/** Where the fleet's certificates are: seeded there before the operator starts. */
export interface FleetApig {
  seed(certificates: readonly { id: string; name: string }[]): void | Promise<void>;
}

export interface FleetOptions {
  /** The namespace's name before its random suffix; default `bench-<size>`. */
  namespacePrefix?: string;
  /** Named in every member's ApigCertificate; default none (the environment configuration). */
  providerRef?: ApigCertificateSpec['providerRef'];
}

export interface FleetSetup {
  /** Time to sign the first N certificates. */
  certificatesMs: number;
  /** Time to create N Secrets and N ApigCertificates. */
  objectsMs: number;
}

export class Fleet {
  readonly kube: KubeClient;
  readonly namespace: string;
  readonly members: readonly FleetMember[];
  readonly keys: ReadonlySet<string>;

  private constructor(kube: KubeClient, namespace: string, size: number) {
    this.kube = kube;
    this.namespace = namespace;
    this.members = Array.from({ length: size }, (_, index) => {
      const name = `app-${index}`;
      return {
        index,
        name,
        secretName: `${name}-tls`,
        certificateId: `${namespace}-${index}`,
        key: `${namespace}/${name}`,
      };
    });
    this.keys = new Set(this.members.map((m) => m.key));
  }

  get size(): number {
    return this.members.length;
  }

  /** Creates the namespace, Secrets and ApigCertificates (no operator running yet). */
  static async create(
    kube: KubeClient,
    apig: FleetApig,
    size: number,
    options: FleetOptions = {},
  ): Promise<{ fleet: Fleet; setup: FleetSetup }> {
    const prefix = options.namespacePrefix ?? `bench-${size}`;
    const namespace = `${prefix}-${randomBytes(3).toString('hex')}`;
    const fleet = new Fleet(kube, namespace, size);
    await createNamespace(kube, namespace);
    await apig.seed(fleet.members.map((m) => ({ id: m.certificateId, name: apigName(m) })));
    const signing = Date.now();
    const certificates = await fleet.issue(fleet.members);
    const certificatesMs = Date.now() - signing;
    const creating = Date.now();
    await forEachLimited(fleet.members, API_CONCURRENCY, async (member) => {
      await createSecret(kube, namespace, fleet.#secretBody(member, certificates[member.index]!));
      await createApigCertificate(kube, namespace, member.name, {
        certificateId: member.certificateId,
        name: apigName(member),
        secretRef: { name: member.secretName },
        ...(options.providerRef ? { providerRef: options.providerRef } : {}),
      });
    });
    return { fleet, setup: { certificatesMs, objectsMs: Date.now() - creating } };
  }

  /** One new certificate per member, in order (same names, a new random serial). */
  async issue(members: readonly FleetMember[]): Promise<IssuedCertificate[]> {
    const keyPair = await sharedKeyPair({ kind: 'EC' });
    const issued: IssuedCertificate[] = [];
    for (const member of members) {
      issued.push(
        await issueCertificate({
          commonName: `${member.name}.${this.namespace}.bench.example`,
          key: { kind: 'EC' },
          keyPair,
        }),
      );
    }
    return issued;
  }

  /** Rewrites the member's Secret with `certificate`, as cert-manager does on renewal. */
  async writeSecret(member: FleetMember, certificate: IssuedCertificate): Promise<void> {
    await replaceSecret(this.kube, this.namespace, this.#secretBody(member, certificate));
  }

  /** Deletes the fleet's objects so the next fleet runs on a lean API server. */
  async remove(): Promise<void> {
    await emptyNamespace(this.kube, this.namespace);
  }

  #secretBody(member: FleetMember, certificate: IssuedCertificate) {
    return {
      name: member.secretName,
      type: 'kubernetes.io/tls',
      data: tlsSecretData(certificate),
    };
  }
}

/** APIG's name rule: 4-50 characters, a letter first, then letters, digits and '_'. */
function apigName(member: FleetMember): string {
  return `bench_app_${member.index}`;
}
