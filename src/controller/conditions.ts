import type { Condition } from '../api/v1alpha1.ts';

export const READY = 'Ready';

/**
 * meta.SetStatusCondition: replaces the condition of the same type and keeps
 * its lastTransitionTime unless the status flips. Returns a new array.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const existing = conditions?.find((c) => c.type === next.type);
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString();
  const others = (conditions ?? []).filter((c) => c.type !== next.type);
  return [...others, { ...next, lastTransitionTime }];
}
