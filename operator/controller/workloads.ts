// Rollout state of a Deployment, DaemonSet or StatefulSet — meshloom's own, and the injected workloads it
// restarts — read from its status the way `kubectl rollout status` does: observed generation caught up, every
// replica updated and ready.
import type { KubeObject } from '../runtime/kube.js';

export type WorkloadKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';

export interface WorkloadState {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  exists: boolean;
  desired: number;
  ready: number;
  updated: number;
  /** The controller has seen the latest spec and every replica is updated and ready. */
  rolledOut: boolean;
  /** Images of the pod template, for status.components.*.version and upgrade checks. */
  images: string[];
  /** The `istio.io/rev` of a workload meshloom renders (istiod's tells which revision it belongs to). */
  revision?: string;
}

type Status = Record<string, number | undefined>;

export function workloadState(kind: WorkloadKind, name: string, namespace: string, live: KubeObject | undefined): WorkloadState {
  if (!live) return { kind, name, namespace, exists: false, desired: 0, ready: 0, updated: 0, rolledOut: false, images: [] };
  const spec = (live.spec ?? {}) as { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } };
  const status = (live.status ?? {}) as Status & { currentRevision?: string; updateRevision?: string };
  const generation = live.metadata?.generation ?? 0;
  const caughtUp = (status.observedGeneration ?? 0) >= generation;
  const images = (spec.template?.spec?.containers ?? []).map((c) => c.image ?? '');
  if (kind === 'Deployment') {
    const desired = spec.replicas ?? 1;
    const ready = status.readyReplicas ?? 0;
    const updated = status.updatedReplicas ?? 0;
    const total = status.replicas ?? 0;
    const available = status.availableReplicas ?? 0;
    const rolledOut = caughtUp && updated >= desired && total === updated && available >= desired && ready >= desired;
    return { kind, name, namespace, exists: true, desired, ready, updated, rolledOut, images };
  }
  if (kind === 'StatefulSet') {
    const desired = spec.replicas ?? 1;
    const ready = status.readyReplicas ?? 0;
    const updated = status.updatedReplicas ?? 0;
    const sameRevision = status.updateRevision === undefined || status.currentRevision === status.updateRevision;
    const rolledOut = caughtUp && sameRevision && updated >= desired && ready >= desired && (status.availableReplicas ?? ready) >= desired;
    return { kind, name, namespace, exists: true, desired, ready, updated, rolledOut, images };
  }
  const desired = status.desiredNumberScheduled ?? 0;
  const ready = status.numberReady ?? 0;
  const updated = status.updatedNumberScheduled ?? 0;
  const rolledOut = caughtUp && updated >= desired && ready >= desired && (status.numberAvailable ?? 0) >= desired;
  return { kind, name, namespace, exists: true, desired, ready, updated, rolledOut, images };
}
