// Re-injection and user customisation of injected containers (Istio's stripPod, reinsertOverrides and
// reapplyOverwrittenContainers): a pod injected before is stripped of what its status annotation lists, and a
// container the user defined with an injected name (istio-proxy, istio-init, ...) is merged over the template
// and remembered in `proxy.istio.io/overrides` so the next injection applies it again.
import { goContainerJson, goParsedContainersJson } from './go-json.js';
import { ANNOTATION, AUTO_IMAGE, CONTAINER } from './istio-names.js';
import { clearPrometheusAnnotations, prometheusPort } from './prometheus.js';
import { readInjectionStatus } from './status.js';
import { strategicMergePod } from './strategic-merge.js';
import type { Container, Pod, ProxyConfig } from './types.js';

/** The pod's `proxy.istio.io/overrides` annotation is not the JSON Istio writes there; remove or fix it. */
export class InvalidOverridesError extends Error {
  override readonly name = 'InvalidOverridesError';
}

interface ParsedContainers {
  containers: Container[];
  initContainers: Container[];
}

function readOverrides(pod: Pod): ParsedContainers {
  const text = pod.metadata?.annotations?.[ANNOTATION.proxyOverrides];
  if (text === undefined) return { containers: [], initContainers: [] };
  try {
    const parsed = JSON.parse(text) as Partial<ParsedContainers>;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object');
    return { containers: parsed.containers ?? [], initContainers: parsed.initContainers ?? [] };
  } catch (err) {
    throw new InvalidOverridesError(`annotation ${ANNOTATION.proxyOverrides} is not valid: ${(err as Error).message}`);
  }
}

const byName = (containers: Container[] | undefined, name: string): Container | undefined =>
  containers?.find((container) => container.name === name);

/** A container in `containers` first, then in `initContainers` (Istio's FindContainerFromPod). */
export function findPodContainer(pod: Pod, name: string): Container | undefined {
  return byName(pod.spec?.containers, name) ?? byName(pod.spec?.initContainers, name);
}

/**
 * The template input for a previously injected pod: containers named in its status annotation removed, the
 * Prometheus annotations injection wrote cleared, the status annotation dropped. Other pods are returned as is.
 */
export function stripInjected(pod: Pod, meshStatusPort: number): Pod {
  const status = readInjectionStatus(pod.metadata?.annotations?.[ANNOTATION.status]);
  if (!status) return pod;
  const annotations = { ...pod.metadata!.annotations };
  if (prometheusPort(pod) === String(meshStatusPort)) clearPrometheusAnnotations(annotations);
  delete annotations[ANNOTATION.status];
  const spec = { ...pod.spec!, containers: pod.spec!.containers.filter((c) => !status.containers.includes(c.name)) };
  if (pod.spec!.initContainers) spec.initContainers = pod.spec!.initContainers.filter((c) => !status.initContainers.includes(c.name));
  return { ...pod, metadata: { ...pod.metadata, annotations }, spec };
}

/** Puts back user customisations recorded in `proxy.istio.io/overrides` that stripping removed. */
export function reinsertOverrides(pod: Pod): Pod {
  const overrides = readOverrides(pod);
  const spec = { ...pod.spec!, containers: [...pod.spec!.containers] };
  for (const container of overrides.containers) if (!byName(spec.containers, container.name)) spec.containers.push(container);
  if (overrides.initContainers.length > 0) {
    spec.initContainers = [...(spec.initContainers ?? [])];
    for (const container of overrides.initContainers) if (!byName(spec.initContainers, container.name)) spec.initContainers.push(container);
  }
  return { ...pod, spec };
}

/** The user's container as Go re-encodes it, with `image: auto` meaning "keep the injected image". */
function overlayOf(container: Container): Container {
  const overlay = JSON.parse(goContainerJson(container)) as Container;
  if (overlay.image === AUTO_IMAGE) delete overlay.image;
  return overlay;
}

/**
 * Merges user-defined containers that share a name with injected ones over the injected versions, records them
 * in `proxy.istio.io/overrides` (first injection only), then aligns the init container's UID with a user-chosen
 * proxy `runAsUser`. `original` is the pod before injection; `template` the rendered templates.
 */
export function reapplyUserContainers(merged: Pod, original: Pod, template: Pod, proxyConfig: ProxyConfig): Pod {
  const existing = readOverrides(original);
  const statusAnnotation = original.metadata?.annotations?.[ANNOTATION.status];
  const injected = readInjectionStatus(statusAnnotation) ?? { containers: [], initContainers: [] };
  const recorded: ParsedContainers = { containers: [], initContainers: [] };
  let result = merged;

  for (const { name } of template.spec?.containers ?? []) {
    if (injected.containers.includes(name)) continue; // re-injection: the new template wins
    const match = byName(existing.containers, name) ?? byName(original.spec?.containers, name);
    if (!match) continue;
    const overlay = overlayOf(match);
    recorded.containers.push(overlay);
    result = strategicMergePod(result, { spec: { containers: [overlay] } });
  }
  for (const { name } of template.spec?.initContainers ?? []) {
    if (injected.initContainers.includes(name)) continue;
    const match = byName(existing.initContainers, name) ?? findPodContainer(original, name);
    if (!match) continue;
    const overlay = overlayOf(match);
    recorded.initContainers.push(overlay);
    result = strategicMergePod(result, { spec: { containers: [], initContainers: [overlay] } });
  }

  if (statusAnnotation === undefined && (recorded.containers.length > 0 || recorded.initContainers.length > 0)) {
    result = {
      ...result,
      metadata: {
        ...result.metadata,
        annotations: { ...result.metadata?.annotations, [ANNOTATION.proxyOverrides]: goParsedContainersJson(recorded) },
      },
    };
  }
  return alignInitContainerUser(result, original, proxyConfig);
}

/**
 * Istio's adjustInitContainerUser: when the user's istio-proxy sets runAsUser/runAsGroup, iptables must
 * exclude that UID (`-u`), the CNI validation container runs as it, and under TPROXY the proxy stays root.
 */
function alignInitContainerUser(pod: Pod, original: Pod, proxyConfig: ProxyConfig): Pod {
  const user = findPodContainer(original, CONTAINER.proxy)?.securityContext;
  if (!user || (user.runAsUser === undefined && user.runAsGroup === undefined)) return pod;
  const initContainers = pod.spec?.initContainers ?? [];
  const initIndex = [CONTAINER.init, CONTAINER.validation]
    .map((name) => initContainers.findIndex((c) => c.name === name))
    .find((index) => index >= 0);
  if (initIndex === undefined) return pod;

  const tproxy = proxyConfig.interceptionMode === 'TPROXY' || pod.metadata?.annotations?.[ANNOTATION.interceptionMode] === 'TPROXY';
  const spec = { ...pod.spec!, initContainers: [...initContainers], containers: [...pod.spec!.containers] };
  const init: Container = { ...spec.initContainers[initIndex]! };
  spec.initContainers[initIndex] = init;

  if (tproxy && user.runAsUser !== undefined) {
    const replaceProxy = (list: Container[]): void => {
      const index = list.findIndex((c) => c.name === CONTAINER.proxy);
      if (index >= 0) list[index] = { ...list[index]!, securityContext: { ...list[index]!.securityContext, runAsUser: 0 } };
    };
    if (spec.containers.some((c) => c.name === CONTAINER.proxy)) replaceProxy(spec.containers);
    else replaceProxy(spec.initContainers);
  }
  if (!tproxy && init.name === CONTAINER.validation) {
    init.securityContext = { ...init.securityContext };
    if (user.runAsUser !== undefined) init.securityContext.runAsUser = user.runAsUser;
    if (user.runAsGroup !== undefined) init.securityContext.runAsGroup = user.runAsGroup;
  }
  if (user.runAsUser !== undefined && user.runAsUser !== 0 && init.args) {
    const flag = init.args.indexOf('-u');
    if (flag >= 0 && flag + 1 < init.args.length) {
      init.args = [...init.args];
      init.args[flag + 1] = String(user.runAsUser);
    }
  }
  return { ...pod, spec };
}
