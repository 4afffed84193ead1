// src/api/providers.ts against the two provider CRDs: a field added on one
// side only fails here, and both kinds keep the same schema.
import { enumOf, presence, readCrd, sorted } from './crd-schema.ts';
import { CONDITION_FIELDS, GROUP, VERSION } from '../../../src/api/v1alpha1.ts';
import {
  ACCESS_KEY_SECRET_REF_FIELDS,
  APIG_PROVIDER_KIND,
  APIG_PROVIDER_RESOURCE,
  APIG_PROVIDER_SPEC_FIELDS,
  APIG_PROVIDER_STATUS_FIELDS,
  CLUSTER_APIG_PROVIDER_KIND,
  CLUSTER_APIG_PROVIDER_RESOURCE,
  IAM_PASSWORD_AUTH_FIELDS,
  PROVIDER_AUTH_FIELDS,
  PROVIDER_SERVICES,
  RATE_LIMIT_FIELDS,
  SERVICE_ACCOUNT_REF_FIELDS,
  WORKLOAD_IDENTITY_AUTH_FIELDS,
} from '../../../src/api/providers.ts';

const namespaced = readCrd('apig.certsync.io_apigproviders.yaml');
const cluster = readCrd('apig.certsync.io_clusterapigproviders.yaml');

describe.each([
  [
    'ApigProvider',
    namespaced,
    APIG_PROVIDER_KIND,
    APIG_PROVIDER_RESOURCE,
    'Namespaced',
    'apigprovider',
  ],
  [
    'ClusterApigProvider',
    cluster,
    CLUSTER_APIG_PROVIDER_KIND,
    CLUSTER_APIG_PROVIDER_RESOURCE,
    'Cluster',
    'capigprovider',
  ],
])(
  'the %s CRD and src/api/providers.ts',
  (_name, { crd, schemaAt }, kind, resource, scope, short) => {
    it('serve the same resource', () => {
      expect({
        group: crd.spec.group,
        version: VERSION,
        plural: crd.spec.names.plural,
        kind: crd.spec.names.kind,
        scope: crd.spec.scope,
        shortNames: crd.spec.names.shortNames,
      }).toEqual({ ...resource, group: GROUP, kind, scope, shortNames: [short] });
    });

    it('show Ready, Endpoint, Service, Project and Age', () => {
      const version = crd.spec.versions.find((v) => v.name === VERSION)!;
      expect(version.additionalPrinterColumns?.map((c) => c.name)).toEqual([
        'Ready',
        'Endpoint',
        'Service',
        'Project',
        'Age',
      ]);
      expect(version.subresources?.status).toEqual({});
    });

    it('allow the same services', () => {
      expect(sorted(enumOf(schemaAt('spec.service')))).toEqual(sorted(PROVIDER_SERVICES));
    });

    it.each([
      ['spec', APIG_PROVIDER_SPEC_FIELDS],
      ['spec.rateLimit', RATE_LIMIT_FIELDS],
      ['spec.auth', PROVIDER_AUTH_FIELDS],
      ['spec.auth.accessKey.secretRef', ACCESS_KEY_SECRET_REF_FIELDS],
      ['spec.auth.iamPassword', IAM_PASSWORD_AUTH_FIELDS],
      ['spec.auth.workloadIdentity', WORKLOAD_IDENTITY_AUTH_FIELDS],
      ['spec.auth.workloadIdentity.serviceAccountRef', SERVICE_ACCOUNT_REF_FIELDS],
      ['status', APIG_PROVIDER_STATUS_FIELDS],
      ['status.conditions.[]', CONDITION_FIELDS],
    ])('declare the same fields, required alike, for %s', (path, fields) => {
      expect(presence(schemaAt(path))).toEqual(fields);
    });
  },
);

it('the two provider kinds share one schema', () => {
  expect(cluster.root).toEqual(
    expect.objectContaining({ properties: namespaced.root?.properties }),
  );
});
