// The injection engine: decision, validation, template rendering and merge, user overrides, and Istio's
// post-processing (cluster env from the webhook URL, Prometheus merge, probe rewrite, status annotation,
// container order). Pure: the result depends only on the arguments.
import { decideInjection, usesNativeSidecar } from './decision.js';
import { ANNOTATION, CONTAINER, DEFAULT_PROXY_UID, ENV, LABEL } from './istio-names.js';
import { findPodContainer, reapplyUserContainers, reinsertOverrides, stripInjected } from './overrides.js';
import { applyProbeRewrite } from './probes.js';
import { applyPrometheusMerge } from './prometheus.js';
import { effectiveProxyConfig, meshProxyConfig } from './proxy-config.js';
import { injectionStatusAnnotation } from './status.js';
import { strategicMergePod } from './strategic-merge.js';
import { selectTemplates, type TemplateContext } from './template/index.js';
import type { Container, InjectionConfig, InjectionResult, InjectOptions, Pod } from './types.js';
import { validateAnnotations } from './validation.js';
import { workloadFromPod } from './workload.js';

type Placement = 'first' | 'last';

function moveContainer(list: Container[], name: string, placement: Placement): Container[] {
  const index = list.findIndex((container) => container.name === name);
  if (index < 0) return list;
  const rest = list.filter((_, i) => i !== index);
  return placement === 'first' ? [list[index]!, ...rest] : [...rest, list[index]!];
}

/**
 * Istio's reorderPod. Native: istio-init/istio-validation, istio-proxy, then the user's init containers, so
 * those run inside the mesh. Classic: istio-validation first, istio-init last (user init containers keep
 * network access), and istio-proxy last among the containers, or first when the app must wait for it.
 */
function reorderContainers(pod: Pod, holdApplication: boolean): void {
  const spec = pod.spec!;
  spec.containers = moveContainer(spec.containers, CONTAINER.proxy, holdApplication ? 'first' : 'last');
  let init = spec.initContainers ?? [];
  if (init.some((container) => container.name === CONTAINER.proxy)) {
    for (const name of [CONTAINER.enableCoreDump, CONTAINER.proxy, CONTAINER.validation, CONTAINER.init]) {
      init = moveContainer(init, name, 'first');
    }
  } else {
    init = moveContainer(init, CONTAINER.validation, 'first');
    init = moveContainer(init, CONTAINER.init, 'last');
    init = moveContainer(init, CONTAINER.enableCoreDump, 'last');
  }
  if (spec.initContainers) spec.initContainers = init;
}

/**
 * Istio's overwriteClusterInfo: cluster ID and network given for this pod (webhook URL, config, network
 * label) replace the template's env entries and are appended, sorted by name, at the end of the proxy env.
 */
function overwriteClusterEnv(sidecar: Container, proxyEnvs: Record<string, string>): void {
  const names = Object.keys(proxyEnvs).sort();
  if (names.length === 0) return;
  sidecar.env = [...(sidecar.env ?? []).filter((env) => !(env.name in proxyEnvs)), ...names.map((name) => ({ name, value: proxyEnvs[name]! }))];
}

function clusterEnv(pod: Pod, config: InjectionConfig, overrides: Record<string, string>): Record<string, string> {
  const envs = { ...overrides };
  const cluster = overrides[ENV.clusterId] || config.clusterId;
  const network = pod.metadata?.labels?.[LABEL.network] ?? (overrides[ENV.network] || config.network);
  if (cluster) envs[ENV.clusterId] = cluster;
  if (network) envs[ENV.network] = network;
  return envs;
}

function withoutManagedFields(pod: Pod): Pod {
  if (!pod.metadata?.managedFields) return pod;
  const { managedFields: _dropped, ...metadata } = pod.metadata;
  return { ...pod, metadata };
}

/**
 * Decides whether `pod` gets a sidecar and returns the injected pod. `namespace` is the pod's namespace (the
 * AdmissionReview's when the pod has none). Throws InjectionValidationError for invalid annotations,
 * ProxyConfigError, TemplateNotFoundError or InvalidOverridesError for other bad input; never mutates `pod`.
 */
export function injectPod(input: Pod, namespace: string, config: InjectionConfig, options: InjectOptions = {}): InjectionResult {
  const pod = withoutManagedFields(structuredClone(input));
  pod.metadata ??= {};
  pod.spec ??= { containers: [] };
  pod.spec.containers ??= [];
  const podNamespace = pod.metadata.namespace || namespace;

  const decision = decideInjection(pod, podNamespace, config);
  if (!decision.inject) return { injected: false, skipReason: decision.reason, message: decision.message, pod, warnings: [] };

  validateAnnotations(pod.metadata.annotations);
  const warnings: string[] = [];
  if (pod.spec.dnsPolicy && pod.spec.dnsPolicy !== 'ClusterFirst') {
    warnings.push(`DNS policy ${pod.spec.dnsPolicy} may prevent the proxy from reaching the control plane; ClusterFirst is recommended`);
  }

  const proxyConfig = effectiveProxyConfig(pod, config);
  const meshStatusPort = meshProxyConfig(config).statusPort ?? 15020;
  const proxyEnvs = clusterEnv(pod, config, options.proxyEnvOverrides ?? {});
  const stripped = reinsertOverrides(stripInjected(pod, meshStatusPort));
  const context: TemplateContext = {
    config,
    metadata: stripped.metadata!,
    spec: stripped.spec!,
    workload: options.workload ?? workloadFromPod(pod, podNamespace),
    proxyConfig,
    nativeSidecar: usesNativeSidecar(pod, config),
    proxyUID: DEFAULT_PROXY_UID,
    proxyGID: DEFAULT_PROXY_UID,
  };

  let merged: Pod = pod;
  let template: Pod = { spec: { containers: [] } };
  for (const { render } of selectTemplates(pod, config)) {
    const overlay = render(context);
    template = strategicMergePod(template, overlay);
    // A user's istio-proxy customisation sits in `containers`; with a native sidecar it must merge into
    // the init container of the same name instead.
    const proxyIsInit = template.spec?.initContainers?.some((c) => c.name === CONTAINER.proxy) ?? false;
    if (proxyIsInit && merged.spec!.containers.some((c) => c.name === CONTAINER.proxy)) {
      const proxy = merged.spec!.containers.find((c) => c.name === CONTAINER.proxy)!;
      merged = {
        ...merged,
        spec: {
          ...merged.spec!,
          containers: merged.spec!.containers.filter((c) => c !== proxy),
          initContainers: [...(merged.spec!.initContainers ?? []), proxy],
        },
      };
    }
    merged = strategicMergePod(merged, overlay);
  }
  merged = reapplyUserContainers(merged, pod, template, proxyConfig);

  // Post-processing works on a private copy, so in-place edits below are safe.
  const result = structuredClone(merged);
  result.metadata!.annotations ??= {};
  result.metadata!.labels ??= {};
  const sidecar = findPodContainer(result, CONTAINER.proxy);
  if (sidecar) overwriteClusterEnv(sidecar, proxyEnvs);
  applyPrometheusMerge(result, sidecar, meshStatusPort, config.mesh.enablePrometheusMerge);
  if (sidecar) {
    const previouslyInjected = pod.metadata.annotations?.[ANNOTATION.status] !== undefined;
    applyProbeRewrite(result, sidecar, meshStatusPort, config.rewriteAppHTTPProbe, previouslyInjected);
  }
  if (proxyEnvs[ENV.network]) result.metadata!.labels[LABEL.network] = proxyEnvs[ENV.network];
  result.metadata!.annotations[ANNOTATION.status] = injectionStatusAnnotation(template.spec!, config.revision);
  Object.assign(result.metadata!.annotations, config.injectedAnnotations);
  reorderContainers(result, proxyConfig.holdApplicationUntilProxyStarts === true || config.proxy.holdApplicationUntilProxyStarts);

  return { injected: true, pod: result, warnings };
}
