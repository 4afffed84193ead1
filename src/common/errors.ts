/**
 * The one way callers branch on an error: by its `kind`, a string every typed
 * error of ours carries. Unlike `instanceof` it holds across module copies and
 * realms, and it reads the same in every layer.
 */
export function hasErrorKind<K extends string>(
  value: unknown,
  kind: K,
): value is Error & { kind: K } {
  return value instanceof Error && 'kind' in value && value.kind === kind;
}
