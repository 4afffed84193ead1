import { isDeepStrictEqual } from 'node:util';
import type { KubeClient } from './kube-client.ts';
import { objectPath, type ResourceType } from './resources.ts';

type Json = Record<string, unknown>;

/**
 * A JSON merge patch (RFC 7386) that turns `current` into `desired`: changed
 * fields, and `null` for fields that must go. Arrays are replaced whole,
 * which is what merge patch does with them. Undefined when nothing changed.
 */
export function mergePatch(current: Json | undefined, desired: Json): Json | undefined {
  const patch: Json = {};
  for (const [key, value] of Object.entries(desired)) {
    if (value === undefined) continue;
    const before = current?.[key];
    if (isDeepStrictEqual(before, value)) continue;
    patch[key] = isObject(value) && isObject(before) ? (mergePatch(before, value) ?? value) : value;
  }
  for (const key of Object.keys(current ?? {})) {
    if (desired[key] === undefined) patch[key] = null;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The merge-patch body for the `/status` subresource, or undefined when
 * nothing changed. With `resourceVersion` the patch carries it as a
 * precondition: the API server answers 409 Conflict if the object has changed
 * since that version.
 */
export function statusPatchBody(
  current: object | undefined,
  desired: object,
  resourceVersion?: string,
): Json | undefined {
  const patch = mergePatch(current as Json | undefined, desired as Json);
  if (!patch) return undefined;
  return resourceVersion === undefined
    ? { status: patch }
    : { metadata: { resourceVersion }, status: patch };
}

export interface WriteStatusOptions {
  /** Write only if the object is still at this version (else 409 Conflict). */
  resourceVersion?: string;
}

/**
 * Writes `desired` to the `/status` subresource as a merge patch, only when it
 * differs from `current`. Returns the object's resourceVersion after the
 * write, or undefined when there was nothing to write.
 */
export async function writeStatus(
  client: KubeClient,
  resource: ResourceType,
  object: { metadata: { namespace: string; name: string } },
  current: object | undefined,
  desired: object,
  options: WriteStatusOptions = {},
): Promise<string | undefined> {
  const body = statusPatchBody(current, desired, options.resourceVersion);
  if (!body) return undefined;
  const written = await client.json<{ metadata?: { resourceVersion?: string } }>({
    method: 'PATCH',
    path: `${objectPath(resource, object.metadata.namespace, object.metadata.name)}/status`,
    contentType: 'application/merge-patch+json',
    body,
  });
  return written.metadata?.resourceVersion;
}
