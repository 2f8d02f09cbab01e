// A minimal RFC 6902 applier (add, remove, replace) for tests: it plays the API server's part of applying
// the patch the webhook returns, so a test can check the patched pod and not the patch text.
import type { JsonPatchOperation } from '../types.js';

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer must start with '/': ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(document: unknown, tokens: string[]): unknown {
  let node = document;
  for (const token of tokens.slice(0, -1)) {
    if (node === null || typeof node !== 'object') throw new Error(`path does not exist at ${token}`);
    node = (node as Record<string, unknown>)[token];
  }
  if (node === null || typeof node !== 'object') throw new Error('parent of the target is not a container');
  return node;
}

function arrayIndex(list: unknown[], token: string, allowEnd: boolean): number {
  const index = token === '-' ? list.length : Number(token);
  if (!Number.isInteger(index) || index < 0 || index > list.length || (!allowEnd && index === list.length)) {
    throw new Error(`array index ${token} out of range (length ${list.length})`);
  }
  return index;
}

/** Applies `operations` to a deep copy of `document`; throws on any operation RFC 6902 rejects. */
export function applyJsonPatch<T>(document: T, operations: readonly JsonPatchOperation[]): T {
  let root: unknown = structuredClone(document);
  for (const operation of operations) {
    const tokens = parsePointer(operation.path);
    if (tokens.length === 0) {
      if (operation.op === 'remove') throw new Error('cannot remove the document root');
      root = structuredClone(operation.value);
      continue;
    }
    const parent = parentOf(root, tokens);
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) {
      const index = arrayIndex(parent, last, operation.op === 'add');
      if (operation.op === 'add') parent.splice(index, 0, structuredClone(operation.value));
      else if (operation.op === 'remove') parent.splice(index, 1);
      else parent[index] = structuredClone(operation.value);
    } else {
      const record = parent as Record<string, unknown>;
      if (operation.op !== 'add' && !(last in record)) throw new Error(`${operation.op} of missing member ${operation.path}`);
      if (operation.op === 'remove') delete record[last];
      else record[last] = structuredClone(operation.value);
    }
  }
  return root as T;
}
