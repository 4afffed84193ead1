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
): Promise<string | undefined> {
  const patch = mergePatch(current as Json | undefined, desired as Json);
  if (!patch) return undefined;
  const written = await client.json<{ metadata?: { resourceVersion?: string } }>({
    method: 'PATCH',
    path: `${objectPath(resource, object.metadata.namespace, object.metadata.name)}/status`,
    contentType: 'application/merge-patch+json',
    body: { status: patch },
  });
  return written.metadata?.resourceVersion;
}
