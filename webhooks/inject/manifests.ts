// `meshloom inject`: Istio's kube-inject path (IntoResourceFile/IntoObject) over a multi-document YAML text.
// Workloads are injected through their pod template and written back as Go's serialiser writes them (sorted
// keys, zero-value artefacts, canonical quantities, `---` after every document); other kinds are echoed.
import { parse as parseYaml } from 'yaml';
import { goYamlMarshal } from './go-yaml.js';
import { injectPod } from './inject.js';
import { effectiveProxyConfig } from './proxy-config.js';
import { canonicalQuantityValue, canonicalResourceList } from './quantity.js';
import { withoutNulls } from './strategic-merge.js';
import type { InjectionConfig, ObjectMeta, Pod, PodSpec, WorkloadIdentity } from './types.js';
import { workloadFromPod } from './workload.js';

export interface ManifestInjectionOutput {
  output: string;
  warnings: string[];
}

/** A document could not be injected; processing stopped there. `document` counts from 1. */
export class ManifestInjectionError extends Error {
  override readonly name = 'ManifestInjectionError';
  constructor(
    readonly document: number,
    cause: unknown,
  ) {
    super(`document ${document}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

type JsonMap = Record<string, unknown>;

const isMap = (value: unknown): value is JsonMap => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Kinds the CLI injects (Istio's injectScheme), by apiVersion/kind. */
const WORKLOAD_KINDS = new Set([
  'v1/Pod',
  'v1/ReplicationController',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'apps/v1/ReplicaSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
]);

/** Status fields Go writes even when zero (non-omitempty ints), per kind. */
const STATUS_ZERO_FIELDS: Record<string, string[]> = {
  ReplicaSet: ['replicas'],
  ReplicationController: ['replicas'],
  StatefulSet: ['replicas', 'availableReplicas'],
  DaemonSet: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
};

// --- document splitting (k8s.io/apimachinery YAMLReader) ----------------------------------------------------

/** Splits on `---` lines (a comment may follow), dropping empty documents; each chunk keeps its line endings. */
function splitYamlDocuments(text: string): string[] {
  const documents: string[] = [];
  let buffer = '';
  for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    if (line.startsWith('---')) {
      const rest = line.slice(3).trim();
      if (rest.length > 0 && !rest.startsWith('#')) throw new Error(`invalid Yaml document separator: ${rest}`);
      if (buffer.length > 0) documents.push(buffer);
      buffer = '';
      continue;
    }
    buffer += line;
  }
  if (buffer.length > 0) documents.push(buffer);
  return documents;
}

// --- Go serialisation artefacts -----------------------------------------------------------------------------

function canonicaliseContainer(container: JsonMap): JsonMap {
  const out: JsonMap = { ...container, resources: isMap(container['resources']) ? { ...container['resources'] } : {} };
  const resources = out['resources'] as JsonMap;
  for (const kind of ['limits', 'requests']) {
    if (isMap(resources[kind])) resources[kind] = canonicalResourceList(resources[kind]);
  }
  if (Array.isArray(out['env'])) {
    out['env'] = out['env'].map((env) => {
      const ref = isMap(env) && isMap(env['valueFrom']) ? env['valueFrom']['resourceFieldRef'] : undefined;
      if (!isMap(ref) || ref['divisor'] === undefined) return env;
      return { ...env, valueFrom: { ...(env['valueFrom'] as JsonMap), resourceFieldRef: { ...ref, divisor: canonicalQuantityValue(ref['divisor']) } } };
    });
  }
  return out;
}

/** A pod spec as Go writes it: `resources: {}` on every container, quantities canonical, `containers` present. */
function goPodSpec(spec: JsonMap): JsonMap {
  const out: JsonMap = { ...spec, containers: Array.isArray(spec['containers']) ? spec['containers'] : null };
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    if (Array.isArray(out[list])) out[list] = (out[list] as unknown[]).map((c) => (isMap(c) ? canonicaliseContainer(c) : c));
  }
  if (Array.isArray(out['volumes'])) {
    out['volumes'] = out['volumes'].map((volume) => {
      const emptyDir = isMap(volume) ? volume['emptyDir'] : undefined;
      if (!isMap(emptyDir) || emptyDir['sizeLimit'] === undefined) return volume;
      return { ...(volume as JsonMap), emptyDir: { ...emptyDir, sizeLimit: canonicalQuantityValue(emptyDir['sizeLimit']) } };
    });
  }
  if (isMap(out['overhead'])) out['overhead'] = canonicalResourceList(out['overhead']);
  return out;
}

/** ObjectMeta as Go 1.35 writes it: no `creationTimestamp: null`. */
function goObjectMeta(metadata: unknown): JsonMap {
  const out: JsonMap = isMap(metadata) ? { ...metadata } : {};
  if (out['creationTimestamp'] === null || out['creationTimestamp'] === undefined) delete out['creationTimestamp'];
  return out;
}

function goPodTemplate(template: unknown): JsonMap {
  const out: JsonMap = isMap(template) ? { ...template } : {};
  out['metadata'] = goObjectMeta(out['metadata']);
  out['spec'] = goPodSpec(isMap(out['spec']) ? out['spec'] : {});
  return out;
}

/** Adds the zero values Go's typed round trip writes for a workload kind. */
function goWorkload(object: JsonMap): JsonMap {
  const kind = object['kind'] as string;
  const out: JsonMap = { ...object, metadata: goObjectMeta(object['metadata']) };
  const spec: JsonMap = isMap(object['spec']) ? { ...object['spec'] } : {};
  if (kind === 'Pod') {
    out['spec'] = goPodSpec(spec);
  } else if (kind === 'CronJob') {
    const jobTemplate: JsonMap = isMap(spec['jobTemplate']) ? { ...spec['jobTemplate'] } : {};
    jobTemplate['metadata'] = goObjectMeta(jobTemplate['metadata']);
    const jobSpec: JsonMap = isMap(jobTemplate['spec']) ? { ...jobTemplate['spec'] } : {};
    jobSpec['template'] = goPodTemplate(jobSpec['template']);
    jobTemplate['spec'] = jobSpec;
    spec['jobTemplate'] = jobTemplate;
    out['spec'] = spec;
  } else {
    spec['template'] = goPodTemplate(spec['template']);
    if (kind === 'Deployment' && !isMap(spec['strategy'])) spec['strategy'] = {};
    if ((kind === 'StatefulSet' || kind === 'DaemonSet') && !isMap(spec['updateStrategy'])) spec['updateStrategy'] = {};
    if (kind === 'StatefulSet' && Array.isArray(spec['volumeClaimTemplates'])) {
      spec['volumeClaimTemplates'] = spec['volumeClaimTemplates'].map((claim) =>
        isMap(claim) ? { ...claim, metadata: goObjectMeta(claim['metadata']), status: isMap(claim['status']) ? claim['status'] : {} } : claim,
      );
    }
    out['spec'] = spec;
  }
  const status: JsonMap = isMap(object['status']) ? { ...object['status'] } : {};
  for (const field of STATUS_ZERO_FIELDS[kind] ?? []) status[field] ??= 0;
  out['status'] = status;
  return out;
}

// --- injection of one object (IntoObject) -------------------------------------------------------------------

interface PodLocation {
  metadata: ObjectMeta;
  spec: PodSpec;
  workload: WorkloadIdentity | undefined;
  write(metadata: ObjectMeta, spec: PodSpec): JsonMap;
}

function locatePod(object: JsonMap): PodLocation {
  const kind = object['kind'] as string;
  const apiVersion = object['apiVersion'] as string;
  const ownMeta = (isMap(object['metadata']) ? object['metadata'] : {}) as ObjectMeta;
  const spec: JsonMap = isMap(object['spec']) ? object['spec'] : {};
  const workload = { name: ownMeta.name ?? '', namespace: ownMeta.namespace ?? '', kind, apiVersion };
  if (kind === 'Pod') {
    return {
      metadata: ownMeta,
      spec: spec as unknown as PodSpec,
      workload: undefined,
      write: (metadata, podSpec) => ({ ...object, metadata, spec: podSpec }),
    };
  }
  if (kind === 'CronJob') {
    // Istio's CLI treats the job template's metadata as the pod's; the pod template metadata stays as is.
    const jobTemplate: JsonMap = isMap(spec['jobTemplate']) ? spec['jobTemplate'] : {};
    const jobSpec: JsonMap = isMap(jobTemplate['spec']) ? jobTemplate['spec'] : {};
    const template: JsonMap = isMap(jobSpec['template']) ? jobSpec['template'] : {};
    return {
      metadata: (isMap(jobTemplate['metadata']) ? jobTemplate['metadata'] : {}) as ObjectMeta,
      spec: (isMap(template['spec']) ? template['spec'] : {}) as unknown as PodSpec,
      workload,
      write: (metadata, podSpec) => ({
        ...object,
        spec: { ...spec, jobTemplate: { ...jobTemplate, metadata, spec: { ...jobSpec, template: { ...template, spec: podSpec } } } },
      }),
    };
  }
  if (!isMap(spec['template']) && kind === 'ReplicationController') throw new Error('spec.template is required value');
  const template: JsonMap = isMap(spec['template']) ? spec['template'] : {};
  return {
    metadata: (isMap(template['metadata']) ? template['metadata'] : {}) as ObjectMeta,
    spec: (isMap(template['spec']) ? template['spec'] : {}) as unknown as PodSpec,
    workload,
    write: (metadata, podSpec) => ({ ...object, spec: { ...spec, template: { ...template, metadata, spec: podSpec } } }),
  };
}

/** kube-inject applies only the proxy.istio.io/config annotation and injects unless the pod opts out. */
function cliConfig(config: InjectionConfig): InjectionConfig {
  return { ...config, policy: 'enabled', neverInjectSelector: [], alwaysInjectSelector: [], injectedAnnotations: {} };
}

function injectObject(object: JsonMap, config: InjectionConfig, warnings: string[]): JsonMap {
  const location = locatePod(object);
  const ownMeta = (isMap(object['metadata']) ? object['metadata'] : {}) as ObjectMeta;
  const name = location.metadata.name || ownMeta.name || '';
  const fullName = ownMeta.namespace ? `${ownMeta.namespace}/${name}` : name;
  const kind = object['kind'] as string;
  const pod: Pod = { metadata: location.metadata, spec: { ...location.spec, containers: location.spec.containers ?? [] } };
  const subject = kind ? `${kind} ${JSON.stringify(fullName)}` : JSON.stringify(fullName);

  if (location.spec.hostNetwork) {
    warnings.push(`Skipping injection because ${subject} has host networking enabled`);
    return goWorkload(object);
  }
  effectiveProxyConfig(pod, config); // an unreadable proxy.istio.io/config fails the document, as in Istio
  const podNamespace = location.metadata.namespace ?? '';
  const workload = location.workload ?? workloadFromPod(pod, podNamespace);
  const result = injectPod(pod, podNamespace, cliConfig(config), { workload });
  if (!result.injected) {
    warnings.push(`Skipping injection because ${subject} has sidecar injection disabled`);
    return goWorkload(object);
  }
  const injected = withoutNulls(result.pod) as Pod;
  return goWorkload(location.write(injected.metadata ?? {}, injected.spec!));
}

function isWorkload(object: JsonMap): boolean {
  return WORKLOAD_KINDS.has(`${object['apiVersion']}/${object['kind']}`);
}

function injectList(list: JsonMap, config: InjectionConfig, warnings: string[]): JsonMap {
  const items = Array.isArray(list['items']) ? list['items'] : [];
  return {
    ...list,
    metadata: isMap(list['metadata']) ? list['metadata'] : {},
    items: items.map((item) => (isMap(item) && isWorkload(item) ? injectObject(item, config, warnings) : item)),
  };
}

/**
 * Injects every workload in a (multi-document) YAML text, like `istioctl kube-inject -f`. Throws
 * ManifestInjectionError at the first document that cannot be read or injected.
 */
export function injectManifests(yamlText: string, config: InjectionConfig): ManifestInjectionOutput {
  const warnings: string[] = [];
  const output: string[] = [];
  let documents: string[];
  try {
    documents = splitYamlDocuments(yamlText);
  } catch (err) {
    throw new ManifestInjectionError(1, err);
  }
  documents.forEach((raw, index) => {
    try {
      const parsed: unknown = parseYaml(raw, { version: '1.1', merge: true });
      if (parsed !== null && parsed !== undefined && !isMap(parsed)) throw new Error('document is not a mapping');
      const object = isMap(parsed) ? (withoutNulls(parsed) as JsonMap) : undefined;
      if (object && isWorkload(object)) output.push(goYamlMarshal(injectObject(object, config, warnings)));
      else if (object && object['apiVersion'] === 'v1' && object['kind'] === 'List') output.push(goYamlMarshal(injectList(object, config, warnings)));
      else output.push(raw);
    } catch (err) {
      throw new ManifestInjectionError(index + 1, err);
    }
    output.push('---\n');
  });
  return { output: output.join(''), warnings };
}
