// Reads what the upgrade decisions need to know about the data plane: every pod that carries an injected proxy,
// and the labels of every namespace. Only called while an older revision is kept or workload migration is on.
import type { KubeClient, KubeObject } from '../runtime/kube.js';
import { LABELS } from '../api/names.js';
import type { DataPlane, InjectedPod } from './upgrade.js';

/** The label Istio's injector puts on every pod it injects a sidecar into. */
const INJECTED_PODS = 'security.istio.io/tlsMode=istio';
const INJECTION_STATUS_ANNOTATION = 'sidecar.istio.io/status';

type Container = { name?: string; image?: string };
type PodObject = KubeObject & {
  metadata?: { ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>; deletionTimestamp?: unknown };
  spec?: { containers?: Container[]; initContainers?: Container[] };
};

/** The injecting revision: the `istio.io/rev` annotation, else the revision in the injection status. */
function injectingRevision(annotations: Record<string, string>): string {
  const annotated = annotations[LABELS.revision];
  if (annotated) return annotated;
  try {
    return (JSON.parse(annotations[INJECTION_STATUS_ANNOTATION] ?? '{}') as { revision?: string }).revision || 'default';
  } catch {
    return 'default';
  }
}

function injectedPod(pod: PodObject): InjectedPod | undefined {
  const proxy = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === 'istio-proxy');
  if (!proxy?.image) return undefined;
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller);
  return {
    namespace: pod.metadata!.namespace!,
    name: pod.metadata!.name!,
    labels: pod.metadata?.labels ?? {},
    revision: injectingRevision(pod.metadata?.annotations ?? {}),
    proxyImage: proxy.image,
    owner: owner && { kind: owner.kind, name: owner.name },
    terminating: Boolean(pod.metadata?.deletionTimestamp),
  };
}

export async function observeDataPlane(client: KubeClient): Promise<DataPlane> {
  const [pods, namespaces] = await Promise.all([client.list<PodObject>('v1', 'Pod', INJECTED_PODS), client.list('v1', 'Namespace')]);
  return {
    pods: pods.flatMap((pod) => injectedPod(pod) ?? []),
    namespaces: new Map(namespaces.map((ns) => [ns.metadata!.name!, ns.metadata?.labels ?? {}])),
  };
}
