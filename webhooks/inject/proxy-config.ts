// Istio's ProxyConfig: code defaults, the mesh-wide defaultConfig, the per-pod `proxy.istio.io/config`
// annotation, and the PROXY_CONFIG env text (default-valued fields removed, protobuf-JSON field order).
import { parse as parseYaml } from 'yaml';
import { goDurationNanos, InvalidDurationError } from '../../operator/api/duration.js';
import { ANNOTATION } from './istio-names.js';
import type { InjectionConfig, Pod, ProxyConfig } from './types.js';

/** `proxy.istio.io/config` (or the mesh defaultConfig) could not be read as a ProxyConfig. */
export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
}

type FieldKind = 'string' | 'int' | 'duration' | 'int-wrapper' | 'bool-wrapper' | 'enum' | 'message' | 'string-map' | 'string-list';

/** ProxyConfig fields in proxy.proto declaration order, which is the order jsonpb writes them in. */
const FIELDS: ReadonlyArray<readonly [string, FieldKind]> = [
  ['configPath', 'string'],
  ['binaryPath', 'string'],
  ['serviceCluster', 'string'],
  ['tracingServiceName', 'enum'],
  ['drainDuration', 'duration'],
  ['parentShutdownDuration', 'duration'],
  ['discoveryAddress', 'string'],
  ['statsdUdpAddress', 'string'],
  ['proxyAdminPort', 'int'],
  ['controlPlaneAuthPolicy', 'enum'],
  ['customConfigFile', 'string'],
  ['statNameLength', 'int'],
  ['concurrency', 'int-wrapper'],
  ['proxyBootstrapTemplatePath', 'string'],
  ['interceptionMode', 'enum'],
  ['tracing', 'message'],
  ['envoyAccessLogService', 'message'],
  ['envoyMetricsService', 'message'],
  ['proxyMetadata', 'string-map'],
  ['runtimeValues', 'string-map'],
  ['statusPort', 'int'],
  ['extraStatTags', 'string-list'],
  ['terminationDrainDuration', 'duration'],
  ['meshId', 'string'],
  ['readinessProbe', 'message'],
  ['proxyStatsMatcher', 'message'],
  ['holdApplicationUntilProxyStarts', 'bool-wrapper'],
  ['caCertificatesPem', 'string-list'],
  ['image', 'message'],
  ['privateKeyProvider', 'message'],
  ['proxyHeaders', 'message'],
  ['fileFlushInterval', 'duration'],
  ['fileFlushMinSizeKb', 'int'],
];
const FIELD_KIND = new Map(FIELDS);

/** Enum values whose protobuf number is 0: jsonpb leaves them out like any zero scalar. */
const ENUM_ZERO: Record<string, string> = {
  interceptionMode: 'REDIRECT',
  controlPlaneAuthPolicy: 'NONE',
  tracingServiceName: 'APP_LABEL_AND_NAMESPACE',
};
const ENUM_VALUES: Record<string, readonly string[]> = {
  interceptionMode: ['REDIRECT', 'TPROXY', 'NONE'],
  controlPlaneAuthPolicy: ['NONE', 'MUTUAL_TLS', 'INHERIT'],
  tracingServiceName: ['APP_LABEL_AND_NAMESPACE', 'CANONICAL_NAME_ONLY', 'CANONICAL_NAME_AND_NAMESPACE'],
};

/** Istio's mesh.DefaultProxyConfig(): what a ProxyConfig holds before any mesh or pod setting. */
export function defaultProxyConfig(): ProxyConfig {
  return {
    configPath: './etc/istio/proxy',
    binaryPath: '/usr/local/bin/envoy',
    serviceCluster: 'istio-proxy',
    drainDuration: '45s',
    terminationDrainDuration: '5s',
    proxyAdminPort: 15000,
    controlPlaneAuthPolicy: 'MUTUAL_TLS',
    discoveryAddress: 'istiod.istio-system.svc:15012',
    statNameLength: 189,
    statusPort: 15020,
  };
}

// --- durations ----------------------------------------------------------------------------------------------

/** Nanoseconds of a Go duration string ("30s", "1m30s", "500ms"), as jsonpb accepts them. */
function parseGoDurationNanos(text: string): bigint {
  try {
    return goDurationNanos(text);
  } catch (err) {
    if (err instanceof InvalidDurationError) throw new ProxyConfigError(`bad Duration: time: invalid duration ${JSON.stringify(text)}`);
    throw err;
  }
}

/** jsonpb's Duration text: seconds with 0, 3, 6 or 9 fractional digits and an `s` suffix. */
function formatProtoDuration(nanos: bigint): string {
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  let text = `${magnitude / 1_000_000_000n}.${String(magnitude % 1_000_000_000n).padStart(9, '0')}`;
  for (const suffix of ['000', '000', '.000']) if (text.endsWith(suffix)) text = text.slice(0, -suffix.length);
  return `${negative ? '-' : ''}${text}s`;
}

/** Seconds in a ProxyConfig duration ("5s", "1.500s"); used for drain-time arithmetic. */
export function protoDurationSeconds(text: string): number {
  return Number(parseGoDurationNanos(text)) / 1e9;
}

// --- reading ------------------------------------------------------------------------------------------------

function snakeToCamel(name: string): string {
  return name.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

function readField(name: string, kind: FieldKind, value: unknown): unknown {
  const wrongType = (): never => {
    throw new ProxyConfigError(`bad value for field ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
  };
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : wrongType();
    case 'int':
    case 'int-wrapper': {
      const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      return typeof number === 'number' && Number.isInteger(number) ? number : wrongType();
    }
    case 'bool-wrapper':
      return typeof value === 'boolean' ? value : wrongType();
    case 'duration':
      return typeof value === 'string' ? formatProtoDuration(parseGoDurationNanos(value)) : wrongType();
    case 'enum': {
      const allowed = ENUM_VALUES[name] ?? [];
      return typeof value === 'string' && allowed.includes(value) ? value : wrongType();
    }
    case 'message':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : wrongType();
    case 'string-map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return wrongType();
      const out: Record<string, string> = {};
      for (const [key, item] of Object.entries(value)) out[key] = typeof item === 'string' ? item : String(item);
      return out;
    }
    case 'string-list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : wrongType();
  }
}

/**
 * Reads ProxyConfig YAML or JSON the way Istio's protomarshal.ApplyYAML does: known fields are type-checked
 * (durations accept Go syntax such as "1m"), unknown fields are ignored.
 */
export function parseProxyConfig(text: string): ProxyConfig {
  let document: unknown;
  try {
    document = parseYaml(text, { version: '1.1' });
  } catch (err) {
    throw new ProxyConfigError(`error converting YAML to JSON: ${(err as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ProxyConfigError(`cannot unmarshal ${Array.isArray(document) ? 'array' : typeof document} into ProxyConfig`);
  }
  const config: ProxyConfig = {};
  for (const [rawName, value] of Object.entries(document)) {
    const name = snakeToCamel(rawName);
    const kind = FIELD_KIND.get(name);
    if (kind === undefined || value === null) continue;
    config[name] = readField(name, kind, value);
  }
  return config;
}

/**
 * Lays `overlay` over `base` like Istio's mesh.MergeProxyConfig: each field set in the overlay replaces the
 * base field, except proxyMetadata, which is merged key by key.
 */
export function mergeProxyConfig(base: ProxyConfig, overlay: ProxyConfig): ProxyConfig {
  const merged: ProxyConfig = { ...base, ...overlay };
  if (base.proxyMetadata || overlay.proxyMetadata) {
    merged.proxyMetadata = { ...base.proxyMetadata, ...overlay.proxyMetadata };
  }
  return merged;
}

/** The mesh-wide ProxyConfig: code defaults with the mesh `defaultConfig` laid over them. */
export function meshProxyConfig(config: InjectionConfig): ProxyConfig {
  return mergeProxyConfig(defaultProxyConfig(), normaliseProxyConfig(config.mesh.defaultConfig));
}

/** Type-checks a ProxyConfig given as an object (mesh config) and puts its durations in canonical form. */
function normaliseProxyConfig(config: ProxyConfig): ProxyConfig {
  const out: ProxyConfig = {};
  for (const [name, value] of Object.entries(config)) {
    const kind = FIELD_KIND.get(name);
    if (kind !== undefined && value !== undefined && value !== null) out[name] = readField(name, kind, value);
  }
  return out;
}

/**
 * The ProxyConfig a pod's proxy runs with: code defaults, then the mesh defaultConfig, then the pod's
 * `proxy.istio.io/config` annotation (Istio without ProxyConfig resources). Throws ProxyConfigError when the
 * annotation is not a ProxyConfig.
 */
export function effectiveProxyConfig(pod: Pod, config: InjectionConfig): ProxyConfig {
  const mesh = meshProxyConfig(config);
  const annotation = pod.metadata?.annotations?.[ANNOTATION.proxyConfig];
  return annotation === undefined ? mesh : mergeProxyConfig(mesh, parseProxyConfig(annotation));
}

// --- writing ------------------------------------------------------------------------------------------------

function isProtoZero(name: string, kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return value === '';
    case 'int':
      return value === 0;
    case 'enum':
      return value === ENUM_ZERO[name];
    case 'string-map':
    case 'string-list':
      return Object.keys(value as object).length === 0;
    default:
      return false; // messages and wrappers are written whenever they are set, even when empty or zero
  }
}

/** jsonpb text of a message given as JSON: maps with sorted keys. */
function writeJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(writeJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${writeJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The PROXY_CONFIG env value: Istio's cleanProxyConfig (fields equal to the code defaults dropped) written
 * as jsonpb does, compact and in declaration order. `{}` when nothing differs from the defaults.
 */
export function proxyConfigJson(config: ProxyConfig): string {
  const defaults = defaultProxyConfig();
  const parts: string[] = [];
  for (const [name, kind] of FIELDS) {
    const value = config[name];
    if (value === undefined || value === null) continue;
    if (name in defaults && writeJson(defaults[name]) === writeJson(value)) continue;
    if (isProtoZero(name, kind, value)) continue;
    parts.push(`${JSON.stringify(name)}:${writeJson(value)}`);
  }
  return `{${parts.join(',')}}`;
}
