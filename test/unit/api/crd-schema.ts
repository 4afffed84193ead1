// Reading a CRD of crds/ for the tests that hold src/api/ against it.
import { readFileSync } from 'node:fs';
import {
  loadYaml,
  type V1CustomResourceDefinition,
  type V1JSONSchemaProps,
} from '@kubernetes/client-node';
import { VERSION } from '../../../src/api/v1alpha1.ts';

export interface CrdSchema {
  crd: V1CustomResourceDefinition;
  root: V1JSONSchemaProps | undefined;
  /** The schema at a path of property names; `[]` steps into array items. */
  schemaAt: (path: string) => V1JSONSchemaProps;
}

export function readCrd(file: string): CrdSchema {
  const crd = loadYaml<V1CustomResourceDefinition>(
    readFileSync(new URL(`../../../crds/${file}`, import.meta.url), 'utf8'),
  );
  const root = crd.spec.versions.find((version) => version.name === VERSION)?.schema
    ?.openAPIV3Schema;
  function schemaAt(path: string): V1JSONSchemaProps {
    let schema: V1JSONSchemaProps | undefined = root;
    for (const step of path.split('.')) {
      schema =
        step === '[]'
          ? (schema?.items as V1JSONSchemaProps | undefined)
          : schema?.properties?.[step];
    }
    if (schema === undefined) throw new Error(`${file} has no schema at ${path}`);
    return schema;
  }
  return { crd, root, schemaAt };
}

/**
 * loadYaml deserializes a CRD into client-node's model, which names `enum`
 * `_enum`, but keeps `items` (typed any) as written.
 */
export function enumOf(schema: V1JSONSchemaProps): unknown[] {
  return schema._enum ?? (schema as { enum?: unknown[] }).enum ?? [];
}

/** A schema's fields as the TypeScript lists mark them. */
export function presence(schema: V1JSONSchemaProps): Record<string, 'required' | 'optional'> {
  const required = new Set(schema.required ?? []);
  return Object.fromEntries(
    Object.keys(schema.properties ?? {}).map((field) => [
      field,
      required.has(field) ? 'required' : 'optional',
    ]),
  );
}

export const sorted = (values: readonly unknown[]) => [...values].map(String).sort();
