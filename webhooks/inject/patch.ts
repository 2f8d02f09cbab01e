// RFC 6902 JSON patch between the pod the webhook received and the injected pod. Linear in the size of both:
// objects are compared key by key and lists by trimming the common head and tail and pairing what is left,
// so a container with thousands of env vars costs one equality walk, not an edit-distance table (the
// quadratic diff was Istio's own injection hotspot, istio/istio#44933).
import type { JsonPatchOperation } from './types.js';

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const aKeys = Object.keys(a).filter((key) => a[key] !== undefined);
    const bKeys = Object.keys(b).filter((key) => b[key] !== undefined);
    if (aKeys.length !== bKeys.length) return false;
    for (const key of aKeys) if (!(key in b) || !deepEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/** Two list items are the same entity when neither is named or both carry the same name. */
function sameIdentity(a: Json, b: Json): boolean {
  const nameA = isObject(a) ? a['name'] : undefined;
  const nameB = isObject(b) ? b['name'] : undefined;
  return nameA === nameB;
}

function diff(original: Json, mutated: Json, path: string, ops: JsonPatchOperation[]): void {
  if (isObject(original) && isObject(mutated)) {
    for (const key of Object.keys(original)) {
      if (original[key] !== undefined && mutated[key] === undefined) ops.push({ op: 'remove', path: `${path}/${escapePointer(key)}` });
    }
    for (const key of Object.keys(mutated)) {
      const value = mutated[key];
      if (value === undefined) continue;
      const at = `${path}/${escapePointer(key)}`;
      if (original[key] === undefined) ops.push({ op: 'add', path: at, value });
      else diff(original[key], value, at, ops);
    }
    return;
  }
  if (Array.isArray(original) && Array.isArray(mutated)) {
    diffList(original, mutated, path, ops);
    return;
  }
  if (!deepEqual(original, mutated)) ops.push({ op: 'replace', path, value: mutated });
}

function diffList(original: Json[], mutated: Json[], path: string, ops: JsonPatchOperation[]): void {
  let head = 0;
  const shorter = Math.min(original.length, mutated.length);
  while (head < shorter && deepEqual(original[head], mutated[head])) head++;
  let tail = 0;
  while (
    tail < shorter - head &&
    deepEqual(original[original.length - 1 - tail], mutated[mutated.length - 1 - tail])
  ) {
    tail++;
  }
  const originalMiddle = original.length - head - tail;
  const mutatedMiddle = mutated.length - head - tail;
  const paired = Math.min(originalMiddle, mutatedMiddle);
  for (let i = 0; i < paired; i++) {
    const index = head + i;
    if (sameIdentity(original[index], mutated[index])) diff(original[index], mutated[index], `${path}/${index}`, ops);
    else ops.push({ op: 'replace', path: `${path}/${index}`, value: mutated[index] });
  }
  // Inserted items go before the common tail; indexes grow as each one is added.
  for (let i = paired; i < mutatedMiddle; i++) ops.push({ op: 'add', path: `${path}/${head + i}`, value: mutated[head + i] });
  // Surplus original items are removed at the same index, each removal shifting the next into place.
  for (let i = paired; i < originalMiddle; i++) ops.push({ op: 'remove', path: `${path}/${head + paired}` });
}

function withoutManagedFields(object: Json): Json {
  if (!isObject(object) || !isObject(object['metadata']) || !('managedFields' in object['metadata'])) return object;
  const { managedFields: _dropped, ...metadata } = object['metadata'];
  return { ...object, metadata };
}

/**
 * RFC 6902 operations that turn `original` into `mutated`. `metadata.managedFields` is left out of both sides
 * first: it can be large, and injection never changes it.
 */
export function createJsonPatch(original: unknown, mutated: unknown): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  diff(withoutManagedFields(original), withoutManagedFields(mutated), '', ops);
  return ops;
}
