// Which revision the API server would send a pod to, read from the injector configurations meshloom renders:
// the same selectors, evaluated the way the API server evaluates them. Revision usage and workload migration
// both ask this question, so neither keeps a second copy of Istio's selector table. Pure.
import { revisionOfInjectionPath } from '../../cdk8s/charts/injector.js';
import type { KubeObject } from '../runtime/kube.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Kubernetes label-selector semantics: every requirement must hold; an empty selector selects everything. */
export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  const has = (key: string) => Object.prototype.hasOwnProperty.call(labels, key);
  return (
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return has(key) && values.includes(labels[key]!);
        case 'NotIn':
          return !has(key) || !values.includes(labels[key]!);
        case 'Exists':
          return has(key);
        case 'DoesNotExist':
          return !has(key);
        default:
          return false;
      }
    })
  );
}

interface WebhookEntry {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  clientConfig?: { url?: string; service?: { path?: string } };
}

export interface InjectionRoute {
  /** The installation whose webhook paths to follow. */
  installation: string;
  /** Rendered MutatingWebhookConfigurations (other objects are ignored). */
  configurations: readonly KubeObject[];
}

function entryPath(entry: WebhookEntry): string | undefined {
  const { url, service } = entry.clientConfig ?? {};
  return url ? new URL(url).pathname : service?.path;
}

/**
 * The revision that injects a pod with `podLabels` created in a namespace with `namespaceLabels` (which carry
 * `kubernetes.io/metadata.name`, as the API server sets it), or undefined when no configuration selects it.
 */
export function injectedRevision(route: InjectionRoute, namespaceLabels: Readonly<Record<string, string>>, podLabels: Readonly<Record<string, string>>): string | undefined {
  for (const configuration of route.configurations) {
    if (configuration.kind !== 'MutatingWebhookConfiguration') continue;
    for (const entry of (configuration.webhooks ?? []) as WebhookEntry[]) {
      if (!labelSelectorMatches(entry.namespaceSelector, namespaceLabels) || !labelSelectorMatches(entry.objectSelector, podLabels)) continue;
      const path = entryPath(entry);
      const revision = path === undefined ? undefined : revisionOfInjectionPath(route.installation, path);
      if (revision !== undefined) return revision;
    }
  }
  return undefined;
}
