// Go durations ("600s", "1m30s", "1.5h", "500ms"), the format Istio and the CRD use for drain settings. The one
// parser of the project: the charts, the profiles, the drain rule and the injector's ProxyConfig all use it.

const UNIT_NANOS: Record<string, bigint> = { ns: 1n, us: 1_000n, µs: 1_000n, μs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
/** Go's time.ParseDuration grammar: an optional sign, then one or more decimal+unit terms; or a bare "0". */
const DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

export class InvalidDurationError extends Error {
  constructor(readonly value: string) {
    super(`"${value}" is not a duration; write it like 5s, 600s or 1m30s`);
    this.name = 'InvalidDurationError';
  }
}

/** Nanoseconds of a Go duration, exactly (no floating point); throws InvalidDurationError. */
export function goDurationNanos(text: string): bigint {
  if (/^[-+]?0$/.test(text)) return 0n;
  if (!DURATION.test(text)) throw new InvalidDurationError(text);
  let total = 0n;
  for (const [, amount, unit] of text.matchAll(TERM)) {
    const [whole = '0', fraction = ''] = amount!.split('.');
    const scale = UNIT_NANOS[unit!]!;
    total += BigInt(whole || '0') * scale + (fraction ? (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length) : 0n);
  }
  return text.startsWith('-') ? -total : total;
}

/** Seconds in a non-negative Go duration (what the CRD's duration fields hold); throws InvalidDurationError. */
export function durationSeconds(value: string): number {
  const nanos = goDurationNanos(value);
  if (nanos < 0n) throw new InvalidDurationError(value);
  return Number(nanos) / 1e9;
}
