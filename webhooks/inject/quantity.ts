// Kubernetes resource quantities: parsing with the API server's grammar and the canonical form Go's
// resource.Quantity writes ("2000m" -> "2", "1024Mi" -> "1Gi"). Values are kept exactly as BigInt nano-units.

const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const QUANTITY_REGEXP = new RegExp(QUANTITY_PATTERN);

const DECIMAL_SUFFIX_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX_POWER: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

interface ParsedQuantity {
  /** The value in units of 10^-9, rounded up like Go rounds sub-nano precision. */
  nanos: bigint;
  format: QuantityFormat;
}

/** A string that is not a Kubernetes quantity; the message is the API server's. */
export class QuantityFormatError extends Error {
  override readonly name = 'QuantityFormatError';
}

const NANO = 10n ** 9n;

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

function divideCeil(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator !== 0n && numerator > 0n ? quotient + 1n : quotient;
}

export function parseQuantity(text: string): ParsedQuantity {
  const match = QUANTITY_REGEXP.exec(text.trim() === text ? text : '');
  if (!match || text.length === 0) {
    throw new QuantityFormatError(`quantities must match the regular expression '${QUANTITY_PATTERN}'`);
  }
  const [, numberPart, suffix] = match as unknown as [string, string, string];
  const numeric = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(numberPart);
  if (!numeric || (numeric[2] === '' && (numeric[3] ?? '') === '')) {
    throw new QuantityFormatError('unable to parse numeric part of quantity');
  }
  const negative = numeric[1] === '-';
  const whole = numeric[2] ?? '';
  const fraction = numeric[3] ?? '';
  // digits * 10^(-fraction.length) is the numeric value.
  const digits = BigInt(`${whole}${fraction}` || '0');

  let format: QuantityFormat;
  let numerator: bigint; // value * 10^9 * denominator
  let denominator = pow10(fraction.length);
  if (suffix in BINARY_SUFFIX_POWER) {
    format = 'BinarySI';
    numerator = digits * 1024n ** BigInt(BINARY_SUFFIX_POWER[suffix]!) * NANO;
  } else if (suffix in DECIMAL_SUFFIX_EXPONENT) {
    format = 'DecimalSI';
    const exponent = DECIMAL_SUFFIX_EXPONENT[suffix]! + 9;
    if (exponent >= 0) numerator = digits * pow10(exponent);
    else {
      numerator = digits;
      denominator *= pow10(-exponent);
    }
  } else if (/^[eE][-+]?\d+$/.test(suffix)) {
    format = 'DecimalExponent';
    const exponent = Number(suffix.slice(1)) + 9;
    if (exponent >= 0) numerator = digits * pow10(exponent);
    else {
      numerator = digits;
      denominator *= pow10(-exponent);
    }
  } else {
    throw new QuantityFormatError("unable to parse quantity's suffix");
  }
  const magnitude = divideCeil(numerator, denominator);
  return { nanos: negative ? -magnitude : magnitude, format };
}

function decimalCanonical(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  let exponent = -9;
  let mantissa = nanos;
  while (mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = Object.entries(DECIMAL_SUFFIX_EXPONENT).find(([, e]) => e === exponent)?.[0];
  return suffix === undefined ? `${mantissa}e${exponent}` : `${mantissa}${suffix}`;
}

/** The canonical string Go writes for a quantity. Throws QuantityFormatError when `text` is not one. */
export function canonicalQuantity(text: string): string {
  const { nanos, format } = parseQuantity(text);
  if (format === 'BinarySI') {
    const wholeBytes = nanos % NANO === 0n;
    const bytes = nanos / NANO;
    // Go switches to DecimalSI below 1Ki and when the value is not a whole number of bytes.
    if (wholeBytes && (bytes >= 1024n || bytes <= -1024n)) {
      let power = 0;
      let mantissa = bytes;
      while (power < BINARY_SUFFIXES.length - 1 && mantissa % 1024n === 0n) {
        mantissa /= 1024n;
        power++;
      }
      return `${mantissa}${BINARY_SUFFIXES[power]}`;
    }
    return decimalCanonical(nanos, 'DecimalSI');
  }
  return decimalCanonical(nanos, format);
}

/** Canonicalises every value of a resource list, leaving values that are not quantities as they are. */
export function canonicalResourceList(list: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(list)) out[name] = canonicalQuantityValue(value);
  return out;
}

/** Canonical form of a quantity given as a YAML string or number; other values are returned unchanged. */
export function canonicalQuantityValue(value: unknown): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  try {
    return canonicalQuantity(String(value));
  } catch (err) {
    if (err instanceof QuantityFormatError) return value;
    throw err;
  }
}
