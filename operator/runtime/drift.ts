// Decides, without writing, whether a live object already has every field meshloom wants. Steady state must
// make zero API writes, so the reconciler only server-side-applies objects for which this returns false.
// The comparison is a semantic subset: the API server adds defaults (extra fields are fine), drops zero values
// (`false`, `0`, `""`, `[]`, `{}` equal "absent"), and canonicalises quantities (`1000m` equals `"1"`).

const QUANTITY = /^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$/;
const SUFFIX: Record<string, number> = {
  m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

function quantityValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const [, number, suffix] = match;
  const scale = suffix === undefined ? 1 : suffix.startsWith('e') ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix]!;
  return Number(number) * scale;
}

function isZeroScalar(value: unknown): boolean {
  return value === undefined || value === null || value === false || value === 0 || value === '';
}

function isEmptyCollection(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function normalise(value: unknown): unknown {
  return value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, 'Z') : value;
}

/** True when every field set in `desired` is present with an equal value in `live`. */
export function containsDesired(live: unknown, desired: unknown): boolean {
  live = normalise(live);
  // An empty map or list may come back with server defaults inside; a zero scalar may be dropped.
  if (isEmptyCollection(desired)) return live === undefined || (typeof live === 'object' && live !== null);
  if (isZeroScalar(desired)) return live === undefined || live === null || live === desired;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => containsDesired(live[i], d));
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) => containsDesired((live as Record<string, unknown>)[k], v));
  }
  if (desired === live) return true;
  const [d, l] = [quantityValue(desired), quantityValue(live)];
  return d !== undefined && l !== undefined && Math.abs(d - l) <= Math.abs(d) * 1e-9;
}
