// computeStatus(): a pure function from what the reconcile saw and did to the MeshInstallation status.
// Condition lastTransitionTime only moves when a condition's status flips, so an unchanged world yields a
// deep-equal status and the reconciler skips the write.
import type { ApplyOutcome } from './apply.js';
import type { WorkloadState } from './workloads.js';

export type ConditionType = 'Reconciled' | 'Ready' | 'Progressing' | 'Degraded' | 'DrainSafe';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ComponentCounts {
  desired?: number;
  ready?: number;
  version?: string;
}

export interface MeshStatus {
  observedGeneration?: number;
  version?: string;
  activeRevision?: string;
  revisions?: Array<{ name: string; version: string; ready?: boolean; inUse?: boolean }>;
  components?: {
    controlPlane?: ComponentCounts;
    nodeTunnel?: ComponentCounts;
    gateways?: Array<{ name: string; namespace: string; desired?: number; ready?: number }>;
  };
  conditions?: Condition[];
}

/** Why a reconcile could not apply the spec (Reconciled=False with this reason). */
export interface ReconcileFailure {
  reason: 'OwnershipConflict' | 'InvalidSpec' | 'VersionRefused' | 'ApplyFailed';
  message: string;
}

export interface DrainAssessment {
  safe: boolean;
  reason: string;
  message: string;
}

export interface StatusInput {
  generation: number;
  previous: MeshStatus | undefined;
  version: string;
  revision: string;
  /** What apply() did; absent when the reconcile stopped before applying. */
  outcome?: ApplyOutcome;
  failure?: ReconcileFailure;
  drain: DrainAssessment;
  now: Date;
}

const STEP_LABEL: Record<string, string> = {
  namespaces: 'namespaces',
  crds: 'Istio CRDs',
  controlPlane: 'control plane (istiod)',
  injector: 'sidecar injector webhook',
  cni: 'istio-cni',
  ztunnel: 'ztunnel',
  gateways: 'gateways',
};

function imageTag(image: string | undefined): string | undefined {
  const tail = image?.split('/').pop();
  return tail?.includes(':') ? tail.split(':').pop()!.split('@')[0] : undefined;
}

function sum(workloads: WorkloadState[]): ComponentCounts {
  return {
    desired: workloads.reduce((n, w) => n + w.desired, 0),
    ready: workloads.reduce((n, w) => n + Math.min(w.ready, w.desired), 0),
  };
}

function components(outcome: ApplyOutcome, previous: MeshStatus['components']): MeshStatus['components'] {
  const step = (name: string) => outcome.steps.find((s) => s.component === name);
  const cp = step('controlPlane');
  const result: MeshStatus['components'] = {};
  if (cp?.applied) result.controlPlane = { ...sum(cp.workloads), version: imageTag(cp.workloads[0]?.images[0]) };
  else if (previous?.controlPlane) result.controlPlane = previous.controlPlane;
  const tunnel = [...(step('cni')?.workloads ?? []), ...(step('ztunnel')?.workloads ?? [])];
  const ztunnel = step('ztunnel')?.workloads ?? [];
  if (tunnel.length > 0) {
    // Ready node-tunnel nodes are those where both agents are ready; desired is ztunnel's node count.
    result.nodeTunnel = { desired: sum(ztunnel).desired, ready: Math.min(...[step('cni'), step('ztunnel')].map((s) => sum(s?.workloads ?? []).ready ?? 0)) };
  }
  const gateways = step('gateways');
  if (gateways?.applied && gateways.workloads.length > 0) {
    result.gateways = gateways.workloads.map((w) => ({ name: w.name, namespace: w.namespace, desired: w.desired, ready: Math.min(w.ready, w.desired) }));
  } else if (previous?.gateways) result.gateways = previous.gateways;
  return result;
}

function condition(
  previous: Condition[] | undefined,
  type: ConditionType,
  status: Condition['status'],
  reason: string,
  message: string,
  generation: number,
  now: Date,
): Condition {
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type, status, observedGeneration: generation, lastTransitionTime, reason, message };
}

function progress(outcome: ApplyOutcome | undefined): { done: boolean; message: string } {
  if (!outcome) return { done: false, message: 'Nothing was applied' };
  if (outcome.waitingFor) {
    const waiting = outcome.steps.find((s) => s.component === outcome.waitingFor)!;
    const lagging = waiting.workloads.filter((w) => !w.rolledOut).map((w) => `${w.kind} ${w.namespace}/${w.name} ${w.ready}/${w.desired} ready`);
    return { done: false, message: `Waiting for ${STEP_LABEL[waiting.component] ?? waiting.component} to roll out: ${lagging.join(', ')}` };
  }
  const lagging = outcome.steps.flatMap((s) => s.workloads.filter((w) => !w.rolledOut));
  if (lagging.length > 0) {
    return { done: false, message: `Rolling out ${lagging.map((w) => `${w.kind} ${w.namespace}/${w.name} ${w.ready}/${w.desired} ready`).join(', ')}` };
  }
  return { done: true, message: 'Every component has rolled out' };
}

export function computeStatus(input: StatusInput): MeshStatus {
  const { previous, generation, now, outcome, failure } = input;
  const prev = previous?.conditions;
  const { done, message } = progress(outcome);
  const ready = !failure && done;
  const conditions: Condition[] = [
    failure
      ? condition(prev, 'Reconciled', 'False', failure.reason, failure.message, generation, now)
      : condition(prev, 'Reconciled', 'True', 'Applied', 'Every rendered object matches the spec', generation, now),
    ready
      ? condition(prev, 'Ready', 'True', 'ComponentsReady', `Istio ${input.version} is installed and every component is ready`, generation, now)
      : condition(prev, 'Ready', 'False', failure ? 'NotReconciled' : 'ComponentsNotReady', failure ? failure.message : message, generation, now),
    !failure && !done
      ? condition(prev, 'Progressing', 'True', outcome?.waitingFor ? 'WaitingForComponent' : 'RollingOut', message, generation, now)
      : condition(prev, 'Progressing', 'False', failure ? 'Stopped' : 'Complete', failure ? failure.message : message, generation, now),
    failure && failure.reason === 'ApplyFailed'
      ? condition(prev, 'Degraded', 'True', failure.reason, failure.message, generation, now)
      : condition(prev, 'Degraded', 'False', 'AsExpected', 'No component is failing', generation, now),
    condition(prev, 'DrainSafe', input.drain.safe ? 'True' : 'False', input.drain.reason, input.drain.message, generation, now),
  ];
  const status: MeshStatus = {
    observedGeneration: generation,
    version: ready ? input.version : previous?.version,
    activeRevision: ready ? input.revision : (previous?.activeRevision ?? input.revision),
    components: outcome ? components(outcome, previous?.components) : previous?.components,
    conditions,
  };
  status.revisions = [{ name: status.activeRevision!, version: status.version ?? input.version, ready, inUse: true }];
  if (status.version === undefined) delete status.version;
  if (status.components === undefined) delete status.components;
  return status;
}
