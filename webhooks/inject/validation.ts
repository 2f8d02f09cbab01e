// Annotation validation (Istio's pkg/kube/inject/validate.go, 1.30.3 set): a pod carrying an invalid value
// is not injected; the webhook rejects it with the message Istio gives.
import { ANNOTATION } from './istio-names.js';
import { defaultProxyConfig, mergeProxyConfig, parseProxyConfig, protoDurationSeconds } from './proxy-config.js';
import { parseQuantity } from './quantity.js';

/**
 * One or more annotations on the pod have values Istio's injector rejects. The message lists each as
 * `invalid value '<v>' for annotation '<name>': <reason>`, formatted like Istio's multierror; fix or remove
 * the annotations named there.
 */
export class InjectionValidationError extends Error {
  override readonly name = 'InjectionValidationError';

  constructor(readonly problems: readonly string[]) {
    super(formatMultiError(problems));
  }
}

/** hashicorp/go-multierror's default text. */
function formatMultiError(problems: readonly string[]): string {
  const points = problems.map((problem) => `\t* ${problem}`).join('\n');
  return `${problems.length} ${problems.length === 1 ? 'error' : 'errors'} occurred:\n${points}\n\n`;
}

// --- Go-compatible parsers ----------------------------------------------------------------------------------

function parseUint(text: string, bits: number): number {
  if (!/^\d+$/.test(text)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
  const value = Number(text);
  if (value > 2 ** bits - 1) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range`);
  return value;
}

const GO_BOOLS = new Map([
  ['1', true], ['t', true], ['T', true], ['TRUE', true], ['true', true], ['True', true],
  ['0', false], ['f', false], ['F', false], ['FALSE', false], ['false', false], ['False', false],
]);

/** Go's strconv.ParseBool; undefined when `text` is not a boolean. */
export function parseGoBool(text: string): boolean | undefined {
  return GO_BOOLS.get(text);
}

function splitPorts(ports: string): string[] {
  return ports.split(',');
}

/** A port number as Istio parses it (surrounding spaces allowed). */
function parsePort(text: string): number {
  try {
    return parseUint(text.trim(), 16);
  } catch (err) {
    throw new Error(`failed parsing port ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
}

function validatePortList(ports: string): void {
  const trimmed = ports.trim();
  if (trimmed.length === 0) return;
  try {
    for (const port of splitPorts(trimmed)) parsePort(port);
  } catch (err) {
    throw new Error(`portList ${JSON.stringify(ports)} invalid: ${(err as Error).message}`);
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6(address: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(address) || !address.includes(':')) return false;
  const [head, ...rest] = address.split('::');
  if (rest.length > 1) return false;
  const groups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const all = [...groups(head), ...groups(rest[0])];
  const last = all[all.length - 1];
  const embeddedV4 = last !== undefined && last.includes('.');
  if (embeddedV4 && !IPV4.test(last)) return false;
  const hexGroups = embeddedV4 ? all.slice(0, -1) : all;
  if (!hexGroups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return false;
  const size = hexGroups.length + (embeddedV4 ? 2 : 0);
  return rest.length === 1 ? size < 8 : size === 8;
}

/** Go's netip.ParsePrefix, with its error texts. */
function parsePrefix(cidr: string): void {
  const fail = (reason: string): never => {
    throw new Error(`netip.ParsePrefix(${JSON.stringify(cidr)}): ${reason}`);
  };
  const slash = cidr.lastIndexOf('/');
  if (slash < 0) fail("no '/'");
  const address = cidr.slice(0, slash);
  const bits = cidr.slice(slash + 1);
  const v4 = IPV4.test(address);
  if (!v4 && !isIPv6(address)) fail(`ParseAddr(${JSON.stringify(address)}): unable to parse IP`);
  if (!/^(0|[1-9]\d{0,2})$/.test(bits)) fail(`bad bits after slash: ${JSON.stringify(bits)}`);
  if (Number(bits) > (v4 ? 32 : 128)) fail(`prefix length out of range`);
}

function validateCIDRList(cidrs: string): void {
  if (cidrs.length === 0) return;
  for (const cidr of cidrs.split(',')) {
    try {
      parsePrefix(cidr);
    } catch (err) {
      throw new Error(`failed parsing cidr '${cidr}': ${(err as Error).message}`);
    }
  }
}

function validateInterfaceList(interfaces: string): void {
  if (interfaces.length === 0) return;
  for (const entry of interfaces.split(',')) {
    const name = entry.trim();
    if (name.length === 0) throw new Error('empty interface name');
    if (name.length > 15) throw new Error(`interface name ${JSON.stringify(name)} too long (max 15 chars)`);
    if (!/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(name)) throw new Error(`interface name ${JSON.stringify(name)} contains invalid characters`);
  }
}

// --- ProxyConfig checks (a subset of Istio's agent.ValidateMeshConfigProxyConfig) ------------------------------

function validatePortNumber(port: number): void {
  if (!(port >= 1 && port <= 65535)) throw new Error(`port number ${port} must be in the range 1..65535`);
}

function validateProxyAddress(address: string): void {
  const colon = address.lastIndexOf(':');
  if (colon < 0) throw new Error(`unable to split ${JSON.stringify(address)}: address ${address}: missing port in address`);
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = address.slice(colon + 1);
  if (!/^\d+$/.test(port)) throw new Error(`port (${port}) is not a number`);
  validatePortNumber(Number(port));
  const fqdn = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
  if (!fqdn.test(host) && !IPV4.test(host) && !isIPv6(host)) throw new Error(`${JSON.stringify(host)} is not a valid hostname or an IP address`);
}

function validateProxyConfigAnnotation(value: string): void {
  let config;
  try {
    config = mergeProxyConfig(defaultProxyConfig(), parseProxyConfig(value));
  } catch (err) {
    throw new Error(`failed to convert to apply proxy config: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const check = (prefix: string, run: () => void): void => {
    try {
      run();
    } catch (err) {
      problems.push(`${prefix}${(err as Error).message}`);
    }
  };
  if (!config.configPath) problems.push('config path must be set');
  if (!config.binaryPath) problems.push('binary path must be set');
  for (const field of ['drainDuration', 'terminationDrainDuration'] as const) {
    const duration = config[field];
    if (duration === undefined) continue;
    const seconds = protoDurationSeconds(duration);
    if (field === 'drainDuration' && seconds < 0.001) problems.push('duration must be greater than 1ms');
    if (seconds < 0) problems.push(`${field} must not be negative`);
  }
  check('invalid discovery address: ', () => validateProxyAddress(config.discoveryAddress ?? ''));
  if (config.statsdUdpAddress) check('invalid statsd udp address: ', () => validateProxyAddress(String(config.statsdUdpAddress)));
  check('invalid proxy admin port: ', () => validatePortNumber(config.proxyAdminPort ?? 0));
  check('invalid status port: ', () => validatePortNumber(config.statusPort ?? 0));
  if (config.controlPlaneAuthPolicy === 'INHERIT') problems.push('invalid authentication policy: INHERIT is not allowed for the control plane');
  if (problems.length > 0) throw new Error(problems.join('; '));
}

// --- the table ----------------------------------------------------------------------------------------------

type Validator = (value: string) => void;

const wrap =
  (label: string, check: Validator): Validator =>
  (value) => {
    try {
      check(value);
    } catch (err) {
      throw new Error(`${label} invalid: ${(err as Error).message}`);
    }
  };

const validateBool: Validator = (value) => {
  if (parseGoBool(value) === undefined) throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
};
const validateUInt32: Validator = (value) => void parseUint(value, 32);
const validateQuantity: Validator = (value) => void parseQuantity(value);

const ANNOTATION_VALIDATORS: Readonly<Record<string, Validator>> = {
  [ANNOTATION.interceptionMode]: (mode) => {
    if (!['REDIRECT', 'TPROXY', 'NONE'].includes(mode)) throw new Error(`interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${mode}`);
  },
  [ANNOTATION.enableCoreDump]: validateBool,
  [ANNOTATION.statusPort]: (port) => {
    try {
      parsePort(port);
    } catch (err) {
      throw new Error(`failed parsing port ${JSON.stringify(port)}: ${(err as Error).message}`);
    }
  },
  [ANNOTATION.readinessInitialDelaySeconds]: validateUInt32,
  [ANNOTATION.readinessPeriodSeconds]: validateUInt32,
  [ANNOTATION.readinessFailureThreshold]: validateUInt32,
  [ANNOTATION.includeOutboundIPRanges]: (ranges) => {
    if (ranges !== '*') wrap('includeIPRanges', validateCIDRList)(ranges);
  },
  [ANNOTATION.excludeOutboundIPRanges]: wrap('excludeIPRanges', validateCIDRList),
  [ANNOTATION.includeInboundPorts]: (ports) => {
    if (ports !== '*') wrap('includeInboundPorts', validatePortList)(ports);
  },
  [ANNOTATION.excludeInboundPorts]: wrap('excludeInboundPorts', validatePortList),
  [ANNOTATION.includeOutboundPorts]: (ports) => {
    if (ports !== '*') wrap('includeOutboundPorts', validatePortList)(ports);
  },
  [ANNOTATION.excludeOutboundPorts]: wrap('excludeOutboundPorts', validatePortList),
  [ANNOTATION.excludeInterfaces]: validateInterfaceList,
  [ANNOTATION.kubevirtInterfaces]: validateInterfaceList,
  [ANNOTATION.rerouteVirtualInterfaces]: validateInterfaceList,
  [ANNOTATION.prometheusMergeMetrics]: validateBool,
  [ANNOTATION.proxyConfig]: validateProxyConfigAnnotation,
  [ANNOTATION.proxyCPU]: validateQuantity,
  [ANNOTATION.proxyMemory]: validateQuantity,
  [ANNOTATION.proxyCPULimit]: validateQuantity,
  [ANNOTATION.proxyMemoryLimit]: validateQuantity,
};

/** Checks every annotation Istio validates; throws InjectionValidationError listing all problems (sorted by name). */
export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined): void {
  const problems: string[] = [];
  for (const name of Object.keys(annotations ?? {}).sort()) {
    const validator = ANNOTATION_VALIDATORS[name];
    const value = annotations![name]!;
    if (!validator) continue;
    try {
      validator(value);
    } catch (err) {
      problems.push(`invalid value '${value}' for annotation '${name}': ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new InjectionValidationError(problems);
}
