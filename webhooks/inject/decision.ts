// Whether istiod injects a pod it has been sent (Istio's injectRequired), and whether the proxy runs as a
// Kubernetes native sidecar. The namespace-label half of the decision lives in the webhook configuration.
import { ANNOTATION, IGNORED_NAMESPACES, LABEL } from './istio-names.js';
import type { InjectionConfig, LabelSelector, NativeSidecarSetting, Pod, SkipReason } from './types.js';

export type InjectionDecision = { inject: true } | { inject: false; reason: SkipReason; message: string };

/** Kubernetes label-selector semantics (matchLabels AND matchExpressions); an empty selector matches nothing here. */
function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (matchLabels.length === 0 && expressions.length === 0) return false;
  if (!matchLabels.every(([key, value]) => labels[key] === value)) return false;
  return expressions.every(({ key, operator, values = [] }) => {
    const present = Object.prototype.hasOwnProperty.call(labels, key);
    switch (operator) {
      case 'In':
        return present && values.includes(labels[key]!);
      case 'NotIn':
        return !present || !values.includes(labels[key]!);
      case 'Exists':
        return present;
      case 'DoesNotExist':
        return !present;
      default:
        return false;
    }
  });
}

/**
 * Istio's injectRequired: hostNetwork, ignored namespaces, then the pod's `sidecar.istio.io/inject` label (which
 * wins over the annotation of the same name), then neverInjectSelector, alwaysInjectSelector and the policy.
 * `namespace` is the pod's namespace (the AdmissionReview's when the pod has none).
 */
export function decideInjection(pod: Pod, namespace: string, config: InjectionConfig): InjectionDecision {
  if (pod.spec?.hostNetwork) {
    return { inject: false, reason: 'hostNetwork', message: 'pod has host networking enabled' };
  }
  if (IGNORED_NAMESPACES.has(namespace)) {
    return { inject: false, reason: 'ignoredNamespace', message: `namespace ${namespace} is never injected` };
  }
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const explicit = Object.prototype.hasOwnProperty.call(labels, LABEL.inject)
    ? labels[LABEL.inject]!
    : (annotations[ANNOTATION.inject] ?? '');

  let useDefault = false;
  let inject = false;
  switch (explicit.toLowerCase()) {
    case 'y':
    case 'yes':
    case 'true':
    case 'on':
      inject = true;
      break;
    case '':
      useDefault = true;
      break;
    default:
      // "false" and anything unrecognised both mean: do not inject.
      break;
  }
  if (!useDefault && !inject) {
    return { inject: false, reason: 'injectDisabled', message: `${LABEL.inject} is ${JSON.stringify(explicit)}` };
  }
  if (useDefault && config.neverInjectSelector.some((selector) => selectorMatches(selector, labels))) {
    return { inject: false, reason: 'neverInjectSelector', message: 'pod labels match neverInjectSelector' };
  }
  if (useDefault && config.alwaysInjectSelector.some((selector) => selectorMatches(selector, labels))) {
    return { inject: true };
  }
  if (useDefault && config.policy !== 'enabled') {
    return { inject: false, reason: 'policy', message: `injection policy is ${JSON.stringify(config.policy)}` };
  }
  return { inject: true };
}

/** Kubelet minor version >= 33 (native sidecars GA), from versions such as "v1.33.0" or "v1.34.1+k3s1". */
function kubeletSupportsNativeSidecars(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > 1 || (major === 1 && minor >= 33);
}

/** Resolves ENABLE_NATIVE_SIDECARS for a pod: `auto` checks the pod's node if known, else every node. */
export function nativeSidecarsForNodes(setting: NativeSidecarSetting, nodeName: string | undefined): boolean {
  if (typeof setting === 'boolean') return setting;
  const node = nodeName ? setting.nodes.find((candidate) => candidate.name === nodeName) : undefined;
  if (node) return kubeletSupportsNativeSidecars(node.kubeletVersion);
  return setting.nodes.every((candidate) => kubeletSupportsNativeSidecars(candidate.kubeletVersion));
}

/**
 * Whether istio-proxy is injected as a native sidecar: the `sidecar.istio.io/nativeSidecar` annotation decides
 * when present (anything but "false" means yes, as in Istio's template), otherwise the configured setting.
 */
export function usesNativeSidecar(pod: Pod, config: InjectionConfig): boolean {
  const annotation = pod.metadata?.annotations?.[ANNOTATION.nativeSidecar];
  if (annotation !== undefined) return annotation !== 'false';
  return nativeSidecarsForNodes(config.nativeSidecars, pod.spec?.nodeName);
}
