// src/api/v1alpha1.ts against the CRD the cluster serves: a field or enum value
// added on one side only fails here (the field lists are compile-checked
// against the TypeScript interfaces, so together the two cannot drift).
import { readFileSync } from 'node:fs';
import {
  loadYaml,
  type V1CustomResourceDefinition,
  type V1JSONSchemaProps,
} from '@kubernetes/client-node';
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
  TRUSTED_ROOT_CA_FIELDS,
  VERSION,
} from '../../../src/api/v1alpha1.ts';

const crd = loadYaml<V1CustomResourceDefinition>(
  readFileSync(
    new URL('../../../crds/apig.certsync.io_apigcertificates.yaml', import.meta.url),
    'utf8',
  ),
);
const root = crd.spec.versions.find((version) => version.name === VERSION)?.schema?.openAPIV3Schema;

/** The schema at a path of property names; `[]` steps into array items. */
function schemaAt(path: string): V1JSONSchemaProps {
  let schema: V1JSONSchemaProps | undefined = root;
  for (const step of path.split('.')) {
    schema =
      step === '[]' ? (schema?.items as V1JSONSchemaProps | undefined) : schema?.properties?.[step];
  }
  if (schema === undefined) throw new Error(`the CRD has no schema at ${path}`);
  return schema;
}

/**
 * loadYaml deserializes a CRD into client-node's model, which names `enum`
 * `_enum`, but keeps `items` (typed any) as written.
 */
function enumOf(schema: V1JSONSchemaProps): unknown[] {
  return schema._enum ?? (schema as { enum?: unknown[] }).enum ?? [];
}

/** A schema's fields as the TypeScript lists mark them. */
function presence(schema: V1JSONSchemaProps): Record<string, 'required' | 'optional'> {
  const required = new Set(schema.required ?? []);
  return Object.fromEntries(
    Object.keys(schema.properties ?? {}).map((field) => [
      field,
      required.has(field) ? 'required' : 'optional',
    ]),
  );
}

const sorted = (values: readonly unknown[]) => [...values].map(String).sort();

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
    ['spec.algorithmType', ALGORITHM_TYPES],
    ['spec.deletionPolicy', DELETION_POLICIES],
    ['status.conditions.[].status', CONDITION_STATUSES],
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
    ['status.conditions.[]', CONDITION_FIELDS],
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
