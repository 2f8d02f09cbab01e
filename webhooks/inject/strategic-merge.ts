// Kubernetes strategic merge patch, restricted to Pod objects: what Istio uses to lay the rendered template
// (and user overrides) over the pod. Lists with a patch merge key merge element by element; the result order
// follows the API machinery's rule (patch items in patch order, interleaved with the pod's own items by their
// original positions), which is why injected volumes come before the user's. A null in the patch deletes.

type Json = unknown;
type JsonMap = Record<string, Json>;

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** The patch merge key of the list at `path` (field names only), or undefined when the list is atomic. */
function mergeKeyFor(path: readonly string[]): string | undefined {
  const field = path[path.length - 1]!;
  const parent = path[path.length - 2];
  if (parent !== undefined && CONTAINER_LISTS.has(parent) && path.length === 3) {
    switch (field) {
      case 'ports':
        return 'containerPort';
      case 'env':
        return 'name';
      case 'volumeMounts':
        return 'mountPath';
      case 'volumeDevices':
        return 'devicePath';
      default:
        return undefined;
    }
  }
  if (path.length === 2 && parent === 'spec') {
    switch (field) {
      case 'containers':
      case 'initContainers':
      case 'ephemeralContainers':
      case 'volumes':
      case 'imagePullSecrets':
      case 'schedulingGates':
      case 'resourceClaims':
        return 'name';
      case 'hostAliases':
        return 'ip';
      case 'topologySpreadConstraints':
        return 'topologyKey';
      default:
        return undefined;
    }
  }
  if (path.length === 2 && parent === 'metadata' && field === 'ownerReferences') return 'uid';
  return undefined;
}

function isJsonMap(value: Json): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy without null-valued keys: Go's typed decoding drops them, so an added item never carries one. */
export function withoutNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (isJsonMap(value)) {
    const out: JsonMap = {};
    for (const [key, item] of Object.entries(value)) if (item !== null && item !== undefined) out[key] = withoutNulls(item);
    return out;
  }
  return value;
}

function mergeValue(original: Json, patch: Json, path: readonly string[]): Json {
  if (isJsonMap(original) && isJsonMap(patch)) return mergeMap(original, patch, path);
  if (Array.isArray(original) && Array.isArray(patch)) {
    const key = mergeKeyFor(path);
    if (key !== undefined) return mergeKeyedList(original, patch, key, path);
  }
  return withoutNulls(patch);
}

function mergeMap(original: JsonMap, patch: JsonMap, path: readonly string[]): JsonMap {
  const result: JsonMap = { ...original };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined) delete result[key];
    else if (key in result) result[key] = mergeValue(result[key], value, [...path, key]);
    else result[key] = withoutNulls(value);
  }
  return result;
}

function keyOf(item: Json, key: string): Json {
  return isJsonMap(item) ? item[key] : undefined;
}

function mergeKeyedList(original: Json[], patch: Json[], key: string, path: readonly string[]): Json[] {
  const originalIndex = new Map<Json, number>();
  original.forEach((item, index) => {
    const value = keyOf(item, key);
    if (value !== undefined && !originalIndex.has(value)) originalIndex.set(value, index);
  });

  const merged = original.slice();
  const patchItems: Json[] = [];
  const patchKeys = new Set<Json>();
  for (const item of patch) {
    const value = keyOf(item, key);
    const at = value === undefined ? undefined : originalIndex.get(value);
    if (value !== undefined) patchKeys.add(value);
    if (at !== undefined) {
      merged[at] = mergeValue(merged[at], item, path);
      patchItems.push(merged[at]);
    } else {
      patchItems.push(withoutNulls(item));
    }
  }
  const serverOnly = merged.filter((item) => !patchKeys.has(keyOf(item, key)));

  // Interleave like the API machinery's mergeSortedSlice: a server-only item goes before a patch item only
  // when both exist in the original list and it came first there.
  const result: Json[] = [];
  let left = 0;
  let right = 0;
  while (left < serverOnly.length || right < patchItems.length) {
    if (right >= patchItems.length) result.push(serverOnly[left++]);
    else if (left >= serverOnly.length) result.push(patchItems[right++]);
    else {
      const leftIndex = originalIndex.get(keyOf(serverOnly[left], key));
      const rightIndex = originalIndex.get(keyOf(patchItems[right], key));
      if (leftIndex !== undefined && rightIndex !== undefined && leftIndex < rightIndex) result.push(serverOnly[left++]);
      else result.push(patchItems[right++]);
    }
  }
  return result;
}

/** Applies a pod-shaped strategic merge patch to a pod-shaped object; neither input is modified. */
export function strategicMergePod<T extends object>(pod: T, patch: object): T {
  return mergeMap(pod as JsonMap, patch as JsonMap, []) as T;
}
