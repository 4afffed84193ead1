// src/api/v1alpha1.ts against the CRD the cluster serves: a field or enum value
// added on one side only fails here (the field lists are compile-checked
// against the TypeScript interfaces, so together the two cannot drift).
import { enumOf, presence, readCrd, sorted } from './crd-schema.ts';
import {
  ALGORITHM_TYPES,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
  APIG_CERTIFICATE_SPEC_FIELDS,
  APIG_CERTIFICATE_STATUS_FIELDS,
  CERTIFICATE_TYPES,
  CONDITION_FIELDS,
  CONDITION_STATUSES,
  DELETION_POLICIES,
  DOMAIN_SPEC_FIELDS,
  DOMAIN_STATUS_FIELDS,
  GROUP,
  KEY_REFERENCE_FIELDS,
  LAST_ERROR_FIELDS,
  NAME_REFERENCE_FIELDS,
  PENDING_CREATE_FIELDS,
  TRUSTED_ROOT_CA_FIELDS,
  VERSION,
} from '../../../src/api/v1alpha1.ts';
import { PROVIDER_KINDS, PROVIDER_REFERENCE_FIELDS } from '../../../src/api/providers.ts';

const { crd, root, schemaAt } = readCrd('apig.certsync.io_apigcertificates.yaml');

describe('the CRD and src/api/v1alpha1.ts', () => {
  it('serve the same resource', () => {
    expect(root).toBeDefined();
    expect({
      group: crd.spec.group,
      version: VERSION,
      plural: crd.spec.names.plural,
      kind: crd.spec.names.kind,
      scope: crd.spec.scope,
    }).toEqual({
      ...APIG_CERTIFICATE_RESOURCE,
      group: GROUP,
      kind: APIG_CERTIFICATE_KIND,
      scope: 'Namespaced',
    });
    expect(APIG_CERTIFICATE_RESOURCE.group).toBe(GROUP);
    expect(APIG_CERTIFICATE_RESOURCE.version).toBe(VERSION);
  });

  it.each([
    ['spec.type', CERTIFICATE_TYPES],
    ['status.pendingCreate.type', CERTIFICATE_TYPES],
    ['spec.algorithmType', ALGORITHM_TYPES],
    ['spec.deletionPolicy', DELETION_POLICIES],
    ['status.conditions.[].status', CONDITION_STATUSES],
    ['spec.providerRef.kind', PROVIDER_KINDS],
  ])('allow the same values for %s', (path, values) => {
    expect(sorted(enumOf(schemaAt(path)))).toEqual(sorted(values));
  });

  it.each([
    ['spec', APIG_CERTIFICATE_SPEC_FIELDS],
    ['spec.secretRef', NAME_REFERENCE_FIELDS],
    ['spec.signSecretRef', NAME_REFERENCE_FIELDS],
    ['spec.trustedRootCA', TRUSTED_ROOT_CA_FIELDS],
    ['spec.trustedRootCA.secretRef', KEY_REFERENCE_FIELDS],
    ['spec.trustedRootCA.configMapRef', KEY_REFERENCE_FIELDS],
    ['spec.domains.[]', DOMAIN_SPEC_FIELDS],
    ['status', APIG_CERTIFICATE_STATUS_FIELDS],
    ['status.domains.[]', DOMAIN_STATUS_FIELDS],
    ['status.pendingCreate', PENDING_CREATE_FIELDS],
    ['status.conditions.[]', CONDITION_FIELDS],
    ['spec.providerRef', PROVIDER_REFERENCE_FIELDS],
  ])('declare the same fields, required alike, for %s', (path, fields) => {
    expect(presence(schemaAt(path))).toEqual(fields);
  });

  it('declare the same fields for status.lastError (the CRD requires none of them)', () => {
    const schema = schemaAt('status.lastError');
    expect(schema.required).toBeUndefined();
    expect(sorted(Object.keys(schema.properties ?? {}))).toEqual(
      sorted(Object.keys(LAST_ERROR_FIELDS)),
    );
  });

  it('require only spec at the top level', () => {
    expect(root?.required).toEqual(['spec']);
    expect(sorted(Object.keys(root?.properties ?? {}))).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'spec',
      'status',
    ]);
  });
});
