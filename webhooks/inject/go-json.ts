// JSON text as Go's encoding/json writes Kubernetes core types: struct field order, omitempty dropping zero
// values (pointer fields keep them), `resources: {}` always present, quantities canonical, unknown fields gone.
// Istio writes the `proxy.istio.io/overrides` annotation and ISTIO_META_POD_PORTS entries this way, and the
// goldens compare their exact text.
import { canonicalQuantityValue } from './quantity.js';

/** How a struct field is encoded: omitted when zero, always written, or a pointer (omitted only when nil). */
type FieldMode = 'omitempty' | 'required' | 'pointer';
type FieldType = string | { listOf: string } | { mapOf: 'quantity' } | 'quantity' | 'scalar' | 'int';
interface Field {
  name: string;
  mode: FieldMode;
  type: FieldType;
}

const f = (name: string, type: FieldType = 'scalar', mode: FieldMode = 'omitempty'): Field => ({ name, mode, type });
const ptr = (name: string, type: FieldType = 'scalar'): Field => f(name, type, 'pointer');

const SCHEMAS: Record<string, Field[]> = {
  Container: [
    f('name', 'scalar', 'required'),
    f('image'),
    f('command'),
    f('args'),
    f('workingDir'),
    f('ports', { listOf: 'ContainerPort' }),
    f('envFrom', { listOf: 'EnvFromSource' }),
    f('env', { listOf: 'EnvVar' }),
    f('resources', 'ResourceRequirements', 'required'),
    f('resizePolicy', { listOf: 'Opaque' }),
    ptr('restartPolicy'),
    f('restartPolicyRules', { listOf: 'Opaque' }),
    f('volumeMounts', { listOf: 'VolumeMount' }),
    f('volumeDevices', { listOf: 'Opaque' }),
    ptr('livenessProbe', 'Probe'),
    ptr('readinessProbe', 'Probe'),
    ptr('startupProbe', 'Probe'),
    ptr('lifecycle', 'Lifecycle'),
    f('terminationMessagePath'),
    f('terminationMessagePolicy'),
    f('imagePullPolicy'),
    ptr('securityContext', 'SecurityContext'),
    f('stdin'),
    f('stdinOnce'),
    f('tty'),
  ],
  ContainerPort: [f('name'), f('hostPort'), f('containerPort', 'int', 'required'), f('protocol'), f('hostIP')],
  EnvFromSource: [f('prefix'), ptr('configMapRef', 'Opaque'), ptr('secretRef', 'Opaque')],
  EnvVar: [f('name', 'scalar', 'required'), f('value'), ptr('valueFrom', 'EnvVarSource')],
  EnvVarSource: [
    ptr('fieldRef', 'ObjectFieldSelector'),
    ptr('resourceFieldRef', 'ResourceFieldSelector'),
    ptr('configMapKeyRef', 'Opaque'),
    ptr('secretKeyRef', 'Opaque'),
    ptr('fileKeyRef', 'Opaque'),
  ],
  ObjectFieldSelector: [f('apiVersion'), f('fieldPath', 'scalar', 'required')],
  ResourceFieldSelector: [f('containerName'), f('resource', 'scalar', 'required'), f('divisor', 'quantity')],
  ResourceRequirements: [f('limits', { mapOf: 'quantity' }), f('requests', { mapOf: 'quantity' }), f('claims', { listOf: 'Opaque' })],
  VolumeMount: [
    f('name', 'scalar', 'required'),
    f('readOnly'),
    ptr('recursiveReadOnly'),
    f('mountPath', 'scalar', 'required'),
    f('subPath'),
    ptr('mountPropagation'),
    f('subPathExpr'),
  ],
  Probe: [
    ptr('exec', 'ExecAction'),
    ptr('httpGet', 'HTTPGetAction'),
    ptr('tcpSocket', 'TCPSocketAction'),
    ptr('grpc', 'GRPCAction'),
    f('initialDelaySeconds'),
    f('timeoutSeconds'),
    f('periodSeconds'),
    f('successThreshold'),
    f('failureThreshold'),
    ptr('terminationGracePeriodSeconds'),
  ],
  ExecAction: [f('command')],
  HTTPGetAction: [f('path'), f('port', 'int', 'required'), f('host'), f('scheme'), f('httpHeaders', { listOf: 'Opaque' })],
  TCPSocketAction: [f('port', 'int', 'required'), f('host')],
  GRPCAction: [f('port', 'int', 'required'), ptr('service')],
  Lifecycle: [ptr('postStart', 'LifecycleHandler'), ptr('preStop', 'LifecycleHandler'), ptr('stopSignal')],
  LifecycleHandler: [
    ptr('exec', 'ExecAction'),
    ptr('httpGet', 'HTTPGetAction'),
    ptr('tcpSocket', 'TCPSocketAction'),
    ptr('sleep', 'Opaque'),
  ],
  SecurityContext: [
    ptr('capabilities', 'Capabilities'),
    ptr('privileged'),
    ptr('seLinuxOptions', 'Opaque'),
    ptr('windowsOptions', 'Opaque'),
    ptr('runAsUser'),
    ptr('runAsGroup'),
    ptr('runAsNonRoot'),
    ptr('readOnlyRootFilesystem'),
    ptr('allowPrivilegeEscalation'),
    ptr('procMount'),
    ptr('seccompProfile', 'Opaque'),
    ptr('appArmorProfile', 'Opaque'),
  ],
  Capabilities: [f('add'), f('drop')],
  Prober: [ptr('httpGet', 'HTTPGetAction'), ptr('tcpSocket', 'TCPSocketAction'), ptr('grpc', 'GRPCAction'), f('timeoutSeconds')],
  ParsedContainers: [f('containers', { listOf: 'Container' }), f('initContainers', { listOf: 'Container' })],
};

function isZero(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Encodes a value of no known struct type: maps with sorted keys, as Go does for map[string]... */
function encodeOpaque(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(encodeOpaque).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${encodeOpaque(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function encodeTyped(value: unknown, type: FieldType): string {
  if (value === null || value === undefined) return 'null';
  if (type === 'scalar' || type === 'int') return encodeOpaque(value);
  if (type === 'quantity') return JSON.stringify(String(canonicalQuantityValue(value)));
  if (typeof type === 'object' && 'listOf' in type) {
    return Array.isArray(value) ? `[${value.map((item) => encodeTyped(item, type.listOf)).join(',')}]` : 'null';
  }
  if (typeof type === 'object' && 'mapOf' in type) {
    const mapped: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) mapped[k] = String(canonicalQuantityValue(v));
    return encodeOpaque(mapped);
  }
  const schema = SCHEMAS[type];
  if (!schema) return encodeOpaque(value);
  return encodeStruct(value as Record<string, unknown>, schema);
}

function encodeStruct(value: Record<string, unknown>, schema: Field[]): string {
  const parts: string[] = [];
  for (const field of schema) {
    const item = value[field.name];
    if (field.mode === 'pointer' && (item === undefined || item === null)) continue;
    if (field.mode === 'omitempty' && isZero(item)) continue;
    const encoded = field.mode === 'required' && (item === undefined || item === null) ? zeroOf(field.type) : encodeTyped(item, field.type);
    parts.push(`${JSON.stringify(field.name)}:${encoded}`);
  }
  return `{${parts.join(',')}}`;
}

function zeroOf(type: FieldType): string {
  if (type === 'scalar') return '""';
  if (type === 'int') return '0';
  if (typeof type === 'string' && SCHEMAS[type]) return encodeStruct({}, SCHEMAS[type]);
  return 'null';
}

/** Go's JSON for a corev1.Container. */
export function goContainerJson(container: unknown): string {
  return encodeTyped(container, 'Container');
}

/** Go's JSON for a corev1.ContainerPort. */
export function goContainerPortJson(port: unknown): string {
  return encodeTyped(port, 'ContainerPort');
}

/** Go's JSON for Istio's ParsedContainers ({containers, initContainers}, both omitempty). */
export function goParsedContainersJson(value: { containers: unknown[]; initContainers: unknown[] }): string {
  return encodeTyped(value, 'ParsedContainers');
}

/** Go's JSON for Istio's KubeAppProbers (map of path -> Prober, keys sorted). */
export function goAppProbersJson(probers: Record<string, unknown>): string {
  const paths = Object.keys(probers).sort();
  return `{${paths.map((path) => `${JSON.stringify(path)}:${encodeTyped(probers[path], 'Prober')}`).join(',')}}`;
}
