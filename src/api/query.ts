// Query parameters read the way kube-apiserver reads them (apimachinery's query-parameter
// conversion), so every client's spelling means what it means there.

/** The boolean query parameters the API understands; every one is read by queryBool. */
export const BOOLEAN_PARAMS = ['watch', 'allowWatchBookmarks', 'sendInitialEvents', 'force', 'orphanDependents', 'preserveSession'] as const;
export type BooleanParam = (typeof BOOLEAN_PARAMS)[number];

/**
 * A boolean query parameter: false when absent, `0` or `false` in any letter case; true for
 * every other value, the empty string included (`?watch`, `watch=True`, `watch=yes`). Only the
 * first value counts, as in apimachinery's Convert_Slice_string_To_bool.
 */
export function queryBool(query: URLSearchParams, name: BooleanParam): boolean {
  const value = query.get(name);
  if (value === null) return false;
  const lower = value.toLowerCase();
  return lower !== '0' && lower !== 'false';
}

/** Whether a boolean query parameter was given at all (sendInitialEvents distinguishes unset from false). */
export function queryBoolOrUndefined(query: URLSearchParams, name: BooleanParam): boolean | undefined {
  return query.has(name) ? queryBool(query, name) : undefined;
}
