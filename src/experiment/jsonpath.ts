/** The one wrapper around jsonpath-plus: the values a JSONPath expression selects. */
import { JSONPath } from 'jsonpath-plus';

/** Values `path` selects in `json` (document order); throws on a malformed path. */
export function jsonPathValues(path: string, json: unknown): unknown[] {
  if (json === null || typeof json !== 'object') return [];
  const out = JSONPath({ path, json: json as object, wrap: true, eval: false }) as unknown;
  return Array.isArray(out) ? out : [];
}

/** A message when `path` is not a JSONPath expression faultline can evaluate, else undefined. */
export function jsonPathProblem(path: string): string | undefined {
  if (!path.startsWith('$')) return `"${path}" is not a JSONPath expression; it starts with $ (e.g. $.items[*].price)`;
  try {
    JSONPath({ path, json: {}, wrap: true, eval: false });
    return undefined;
  } catch (e) {
    return `"${path}": ${(e as Error).message}`;
  }
}
