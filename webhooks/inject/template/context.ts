// What an injection template sees (Istio's SidecarTemplateData) and the pieces the sidecar and gateway
// templates share. Templates are pure builders returning a partial pod, strategic-merged onto the pod.
import type { V1Container, V1EnvVar, V1Probe, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { goContainerPortJson } from '../go-json.js';
import { canonicalQuantityValue } from '../quantity.js';
import { ANNOTATION, CONTAINER, LABEL } from '../istio-names.js';
import type { InjectionConfig, ObjectMeta, PodSpec, ProxyConfig, ResourceList, WorkloadIdentity } from '../types.js';
import { ownerUrl } from '../workload.js';

export interface TemplateContext {
  config: InjectionConfig;
  /** Metadata and spec of the pod with previously injected containers stripped (template input only). */
  metadata: ObjectMeta;
  spec: PodSpec;
  workload: WorkloadIdentity;
  proxyConfig: ProxyConfig;
  nativeSidecar: boolean;
  proxyUID: number;
  proxyGID: number;
}

/** A rendered template: a partial pod in JSON form. */
export interface PodOverlay {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    initContainers?: V1Container[];
    containers?: V1Container[];
    volumes?: V1Volume[];
    imagePullSecrets?: { name: string }[];
    securityContext?: Record<string, unknown>;
  };
}

export type InjectionTemplate = (context: TemplateContext) => PodOverlay;

/** Istio's template function `annotation`: the pod annotation if present (even empty), else the fallback. */
export function annotationOr(context: TemplateContext, name: string, fallback: string | number): string {
  const value = context.metadata.annotations?.[name];
  return value !== undefined ? value : String(fallback);
}

export function hasAnnotation(context: TemplateContext, name: string): boolean {
  return context.metadata.annotations?.[name] !== undefined;
}

/** Names of the pod's own containers (everything but istio-proxy). */
export function appContainerNames(context: TemplateContext): string[] {
  return (context.spec.containers ?? []).map((c) => c.name).filter((name) => name !== CONTAINER.proxy);
}

/** Interception mode from the pod annotation, else the ProxyConfig. */
export function interceptionMode(context: TemplateContext): string {
  return annotationOr(context, ANNOTATION.interceptionMode, context.proxyConfig.interceptionMode ?? 'REDIRECT');
}

/** The status port as the template sees it (annotation or `global.proxy.statusPort`), as text. */
export function statusPort(context: TemplateContext): string {
  return annotationOr(context, ANNOTATION.statusPort, context.config.proxy.statusPort);
}

const KNOWN_IMAGE_TYPES = ['distroless', 'debug'];

/** Istio's ProxyImage: `<hub>/<image>:<tag>[-<variant>]`; the variant may come from ProxyConfig or annotation. */
export function proxyImage(context: TemplateContext): string {
  const { config, proxyConfig } = context;
  let imageType = proxyConfig.image !== undefined ? (proxyConfig.image.imageType ?? '') : config.variant;
  const annotated = context.metadata.annotations?.[ANNOTATION.proxyImageType];
  if (annotated !== undefined) imageType = annotated;
  let tag = config.tag;
  if (imageType !== '') {
    const known = KNOWN_IMAGE_TYPES.find((type) => tag.endsWith(`-${type}`));
    if (known) tag = tag.slice(0, -(known.length + 1));
    if (imageType !== 'default') tag = `${tag}-${imageType}`;
  }
  return `${config.hub}/${config.proxyImageName}:${tag}`;
}

/** The image for a container: the annotation or configured name when it is a full reference, else ProxyImage. */
export function imageFor(context: TemplateContext, configuredName: string): string {
  const candidate = annotationOr(context, ANNOTATION.proxyImage, configuredName);
  return candidate.includes('/') ? candidate : proxyImage(context);
}

/** Istio's excludeInboundPort: append the status port to the excluded inbound ports unless already there. */
export function excludeInboundPort(port: string, excluded: string): string {
  const portText = port.trim();
  if (portText.length === 0 || portText === '0') return excluded;
  const out: string[] = [];
  for (const entry of excluded.split(',')) {
    if (entry === portText) return excluded;
    if (entry.trim().length > 0) out.push(entry.trim());
  }
  out.push(portText);
  return out.join(',');
}

/** Unset values left out; quantities canonical, as the pod Istio's Go code marshals carries them. */
function resourceList(list: ResourceList | undefined): ResourceList | undefined {
  if (!list) return undefined;
  const entries = Object.entries(list)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => [name, String(canonicalQuantityValue(value))]);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * Proxy (and init) resources: the `sidecar.istio.io/proxyCPU|Memory[Limit]` annotations when any is set,
 * otherwise `global.proxy.resources` with unset values left out (1.30's omitNil).
 */
export function proxyResources(context: TemplateContext, fromValues: boolean): { requests?: ResourceList; limits?: ResourceList } {
  const annotations = context.metadata.annotations ?? {};
  const pick = (cpu: string, memory: string): ResourceList | undefined => {
    const list: ResourceList = {};
    if (annotations[cpu] !== undefined) list['cpu'] = annotations[cpu];
    if (annotations[memory] !== undefined) list['memory'] = annotations[memory];
    return resourceList(list);
  };
  const requests = pick(ANNOTATION.proxyCPU, ANNOTATION.proxyMemory);
  const limits = pick(ANNOTATION.proxyCPULimit, ANNOTATION.proxyMemoryLimit);
  if (requests || limits) return { ...(requests && { requests }), ...(limits && { limits }) };
  if (!fromValues) return {};
  const values = context.config.proxy.resources;
  const valueRequests = resourceList(values.requests);
  const valueLimits = resourceList(values.limits);
  return { ...(valueRequests && { requests: valueRequests }), ...(valueLimits && { limits: valueLimits }) };
}

export function fieldRefEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

export function resourceFieldRefEnv(name: string, resource: string): V1EnvVar {
  return { name, valueFrom: { resourceFieldRef: { resource, divisor: '1' } } };
}

/** An env var; an empty value is left out, as Go's serialiser does. */
export function valueEnv(name: string, value: string): V1EnvVar {
  return value === '' ? { name } : { name, value };
}

/** CA_ADDR: `global.caAddress`, else istiod of this revision in the Istio namespace. */
export function caAddress(config: InjectionConfig): string {
  if (config.caAddress) return config.caAddress;
  const suffix = config.revision && config.revision !== 'default' ? `-${config.revision}` : '';
  return `istiod${suffix}.${config.istioNamespace}.svc:15012`;
}

/** ISTIO_META_POD_PORTS: every container port as Go JSON, one per line, as the template lays them out. */
export function podPortsEnvValue(spec: PodSpec): string {
  const ports = (spec.containers ?? []).flatMap((container) => container.ports ?? []);
  const lines = ports.map((port, index) => `    ${index === 0 ? '' : ','}${goContainerPortJson(port)}`);
  return ['[', ...lines, ']'].join('\n');
}

/** The PILOT_CERT_PROVIDER ... HOST_IP block both templates open their env with. */
export function identityEnv(config: InjectionConfig): V1EnvVar[] {
  return [
    valueEnv('PILOT_CERT_PROVIDER', config.pilotCertProvider),
    valueEnv('CA_ADDR', caAddress(config)),
    fieldRefEnv('POD_NAME', 'metadata.name'),
    fieldRefEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldRefEnv('INSTANCE_IP', 'status.podIP'),
    fieldRefEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldRefEnv('HOST_IP', 'status.hostIP'),
    resourceFieldRefEnv('ISTIO_CPU_LIMIT', 'limits.cpu'),
  ];
}

/** ISTIO_META_WORKLOAD_NAME (label `service.istio.io/workload-name` first) and ISTIO_META_OWNER, when known. */
export function workloadEnv(context: TemplateContext): V1EnvVar[] {
  const { workload } = context;
  const env: V1EnvVar[] = [];
  const workloadName = context.metadata.labels?.[LABEL.workloadName] || workload.name;
  if (workloadName) env.push(valueEnv('ISTIO_META_WORKLOAD_NAME', workloadName));
  if (workload.apiVersion && workload.name) env.push(valueEnv('ISTIO_META_OWNER', ownerUrl(workload)));
  return env;
}

/** ISTIO_META_MESH_ID (mesh ID, else trust domain) and TRUST_DOMAIN. */
export function meshIdentityEnv(config: InjectionConfig): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  const meshId = config.meshId || config.mesh.trustDomain;
  if (meshId) env.push(valueEnv('ISTIO_META_MESH_ID', meshId));
  if (config.mesh.trustDomain) env.push(valueEnv('TRUST_DOMAIN', config.mesh.trustDomain));
  return env;
}

/** ProxyConfig proxyMetadata as env vars, in key order (Go templates range over maps sorted). */
export function proxyMetadataEnv(proxyConfig: ProxyConfig): V1EnvVar[] {
  const metadata = proxyConfig.proxyMetadata ?? {};
  return Object.keys(metadata)
    .sort()
    .map((key) => valueEnv(key, metadata[key]!));
}

export function readinessProbe(context: TemplateContext): V1Probe {
  const { readiness } = context.config.proxy;
  const numberFrom = (annotation: string, fallback: number): number => Number(annotationOr(context, annotation, fallback));
  const probe: V1Probe = { httpGet: { path: '/healthz/ready', port: 15021 } };
  // Zero values are left out, as Go's serialiser writes the template's explicit 0.
  const initialDelay = numberFrom(ANNOTATION.readinessInitialDelaySeconds, readiness.initialDelaySeconds);
  if (initialDelay) probe.initialDelaySeconds = initialDelay;
  const period = numberFrom(ANNOTATION.readinessPeriodSeconds, readiness.periodSeconds);
  if (period) probe.periodSeconds = period;
  probe.timeoutSeconds = 3;
  const failure = numberFrom(ANNOTATION.readinessFailureThreshold, readiness.failureThreshold);
  if (failure) probe.failureThreshold = failure;
  return probe;
}

export function canonicalLabels(context: TemplateContext): Record<string, string> {
  const labels = context.metadata.labels ?? {};
  const name =
    labels[LABEL.canonicalName] || labels['app.kubernetes.io/name'] || labels['app'] || context.workload.name;
  const revision =
    labels[LABEL.canonicalRevision] || labels['app.kubernetes.io/version'] || labels['version'] || 'latest';
  // Istio 1.30 truncates to the 63-character label limit and trims one trailing dash.
  const truncated = name.slice(0, 63);
  return {
    [LABEL.canonicalName]: truncated.endsWith('-') ? truncated.slice(0, -1) : truncated,
    [LABEL.canonicalRevision]: revision,
  };
}

/** kubectl default-container annotations naming the first app container, unless the pod already sets them. */
export function defaultContainerAnnotations(context: TemplateContext): Record<string, string> {
  const [first] = appContainerNames(context);
  const annotations: Record<string, string> = {};
  if (first === undefined) return annotations;
  if (!hasAnnotation(context, ANNOTATION.defaultLogsContainer)) annotations[ANNOTATION.defaultLogsContainer] = first;
  if (!hasAnnotation(context, ANNOTATION.defaultContainer)) annotations[ANNOTATION.defaultContainer] = first;
  return annotations;
}

export function revisionAnnotation(config: InjectionConfig): Record<string, string> {
  return { [ANNOTATION.revision]: config.revision || 'default' };
}

export const PODINFO_VOLUME: V1Volume = {
  name: 'istio-podinfo',
  downwardAPI: {
    items: [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
    ],
  },
};

export function tokenVolume(config: InjectionConfig): V1Volume {
  return {
    name: 'istio-token',
    projected: {
      sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: config.tokenAudience } }],
    },
  };
}

export function caCertVolume(config: InjectionConfig): V1Volume {
  return { name: 'istiod-ca-cert', configMap: { name: config.trustBundleName || 'istio-ca-root-cert' } };
}

export function mtlsCertsVolume(context: TemplateContext): V1Volume {
  const account = context.spec.serviceAccountName;
  return { name: 'istio-certs', secret: { optional: true, secretName: account ? `istio.${account}` : 'istio.default' } };
}

export const MTLS_CERTS_MOUNT: V1VolumeMount = { mountPath: '/etc/certs/', name: 'istio-certs', readOnly: true };

export function imagePullSecrets(config: InjectionConfig): { name: string }[] | undefined {
  return config.imagePullSecrets.length > 0 ? config.imagePullSecrets.map((name) => ({ name })) : undefined;
}
