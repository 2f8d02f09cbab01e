// Rollout state of the Deployments and DaemonSets meshloom renders, read from their status the way
// `kubectl rollout status` does: observed generation caught up, every replica updated and ready.
import type { KubeObject } from '../runtime/kube.js';

export interface WorkloadState {
  kind: 'Deployment' | 'DaemonSet';
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
}

type Status = Record<string, number | undefined>;

export function workloadState(kind: 'Deployment' | 'DaemonSet', name: string, namespace: string, live: KubeObject | undefined): WorkloadState {
  if (!live) return { kind, name, namespace, exists: false, desired: 0, ready: 0, updated: 0, rolledOut: false, images: [] };
  const spec = (live.spec ?? {}) as { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } };
  const status = (live.status ?? {}) as Status;
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
  const desired = status.desiredNumberScheduled ?? 0;
  const ready = status.numberReady ?? 0;
  const updated = status.updatedNumberScheduled ?? 0;
  const rolledOut = caughtUp && updated >= desired && ready >= desired && (status.numberAvailable ?? 0) >= desired;
  return { kind, name, namespace, exists: true, desired, ready, updated, rolledOut, images };
}
