/** A namespaced API resource the operator lists and watches. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
}

export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets' };
export const CONFIG_MAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps' };
export const LEASES: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
};

/** Collection path in `namespace`, or across all namespaces when it is undefined. */
export function collectionPath(resource: ResourceType, namespace?: string): string {
  const base =
    resource.group === ''
      ? `/api/${resource.version}`
      : `/apis/${resource.group}/${resource.version}`;
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${scope}/${resource.plural}`;
}

export function objectPath(resource: ResourceType, namespace: string, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}
