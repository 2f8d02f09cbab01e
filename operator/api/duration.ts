// Go-style durations ("600s", "1m30s", "1.5h"), the format Istio and the CRD use for drain settings.

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const DURATION = /^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|ms|s|m|h))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g;

export class InvalidDurationError extends Error {
  constructor(readonly value: string) {
    super(`"${value}" is not a duration; write it like 5s, 600s or 1m30s`);
    this.name = 'InvalidDurationError';
  }
}

/** Seconds in a Go-style duration; throws InvalidDurationError for anything else. */
export function durationSeconds(value: string): number {
  if (!DURATION.test(value)) throw new InvalidDurationError(value);
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(PART)) seconds += Number(amount) * UNIT_SECONDS[unit];
  return seconds;
}
