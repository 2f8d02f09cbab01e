// computeStatus(): a pure function from what the reconcile saw and did to the MeshInstallation status.
// Condition lastTransitionTime only moves when a condition's status flips, so an unchanged world yields a
// deep-equal status and the reconciler skips the write.
import type { RevisionRef } from '../../cdk8s/context.js';
import type { ComponentStatus, Condition, MeshInstallationStatus, MigrationStatus, RevisionStatus } from '../api/v1alpha1/index.js';
import type { ApplyOutcome } from './apply.js';
import { migrationUnfinished } from './migration.js';
import { rolloutProgress, timestamp, type RetainedRevision } from './upgrade.js';
import type { VersionRule } from './version-policy.js';
import type { WorkloadState } from './workloads.js';

export type ConditionType = 'Reconciled' | 'Ready' | 'Progressing' | 'Degraded' | 'DrainSafe';

/** The status as stored; its shape is generated from the CRD (operator/api/v1alpha1). */
export type MeshStatus = MeshInstallationStatus;
export type { Condition };
type ComponentCounts = ComponentStatus;

/** Why a reconcile could not apply the spec (Reconciled=False with this reason). */
export interface ReconcileFailure {
  reason: 'OwnershipConflict' | 'InvalidSpec' | 'ApplyFailed' | 'CertificateProviderMismatch' | VersionRule;
  message: string;
}

const VERSION_REFUSALS: ReadonlySet<string> = new Set<VersionRule>(['VersionNotInCatalogue', 'DowngradeTooFar', 'UpgradeSkewTooLarge']);

export interface DrainAssessment {
  safe: boolean;
  reason: string;
  message: string;
}

export interface StatusInput {
  generation: number;
  previous: MeshStatus | undefined;
  /** The revision and version the spec asks for. */
  target: RevisionRef;
  /** What apply() did; absent when the reconcile stopped before applying. */
  outcome?: ApplyOutcome;
  failure?: ReconcileFailure;
  drain: DrainAssessment;
  /** Older revisions still rendered beside the target (a revision-based upgrade), with their usage. */
  retained?: readonly RetainedRevision[];
  /** Where workload migration stands, when it is on and the rollout has completed. */
  migration?: MigrationStatus;
  /** spec.updateStrategy.progressDeadlineSeconds. */
  progressDeadlineSeconds: number;
  now: Date;
}

export const STEP_LABEL: Record<string, string> = {
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

function istiodOf(outcome: ApplyOutcome | undefined, revision: string): WorkloadState | undefined {
  return outcome?.steps.find((s) => s.component === 'controlPlane')?.workloads.find((w) => w.kind === 'Deployment' && w.revision === revision);
}

function components(outcome: ApplyOutcome, target: string, previous: MeshStatus['components']): MeshStatus['components'] {
  const step = (name: string) => outcome.steps.find((s) => s.component === name);
  const cp = step('controlPlane');
  const result: MeshStatus['components'] = {};
  // The target revision's istiod: an older revision kept beside it is reported under status.revisions.
  const istiod = cp?.workloads.filter((w) => w.revision === target) ?? [];
  if (cp?.applied) result.controlPlane = { ...sum(istiod), version: imageTag(istiod[0]?.images[0]) };
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

/**
 * The target revision first, then the older ones kept beside it. A revision's version is the one its istiod has
 * rolled out: during an in-place upgrade `default` keeps the old version until the new istiod is out, and the
 * webhook, which reads it here, injects that version until then.
 */
function revisions(input: StatusInput): RevisionStatus[] {
  const { outcome, target, previous } = input;
  if (!outcome) return previous?.revisions ?? [{ name: target.name, version: target.version, ready: false, inUse: true }];
  const before = (name: string) => previous?.revisions?.find((r) => r.name === name);
  // A control-plane step that was not applied (still waiting on the CRDs) tells nothing new about readiness.
  const ready = (name: string) => istiodOf(outcome, name)?.rolledOut ?? before(name)?.ready ?? false;
  const entries: RevisionStatus[] = [
    { name: target.name, version: istiodOf(outcome, target.name)?.rolledOut ? target.version : (before(target.name)?.version ?? target.version), ready: ready(target.name), inUse: true },
  ];
  for (const old of input.retained ?? []) {
    const entry: RevisionStatus = { name: old.name, version: old.version, ready: ready(old.name), inUse: old.inUse };
    if (old.usedBy) entry.usedBy = old.usedBy;
    if (old.inactiveSince) entry.inactiveSince = old.inactiveSince;
    entries.push(entry);
  }
  // Revisions left out of the render are pruned only when nothing is waiting; until then they still exist.
  if (outcome.waitingFor) {
    const listed = new Set(entries.map((e) => e.name));
    entries.push(...(previous?.revisions ?? []).filter((r) => !listed.has(r.name)));
  }
  return entries;
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
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : timestamp(now);
  return { type, status, observedGeneration: generation, lastTransitionTime, reason, message };
}

function lagging(workloads: WorkloadState[]): string {
  return workloads
    .filter((w) => !w.rolledOut)
    .map((w) => `${w.kind} ${w.namespace}/${w.name} ${w.ready}/${w.desired} ready`)
    .join(', ');
}

function progress(outcome: ApplyOutcome | undefined): { done: boolean; message: string } {
  if (!outcome) return { done: false, message: 'Nothing was applied' };
  if (outcome.waitingFor) {
    const waiting = outcome.steps.find((s) => s.component === outcome.waitingFor)!;
    return { done: false, message: `Waiting for ${STEP_LABEL[waiting.component] ?? waiting.component} to roll out: ${lagging(waiting.workloads)}` };
  }
  const rolling = outcome.steps.flatMap((s) => s.workloads).filter((w) => !w.rolledOut);
  if (rolling.length > 0) return { done: false, message: `Rolling out ${lagging(rolling)}` };
  return { done: true, message: 'Every component has rolled out' };
}

function migrationMessage(migration: MigrationStatus): string {
  const restarting = migration.restarting?.length ? `restarting ${migration.restarting.join(', ')}` : 'waiting for the next batch';
  const blocked = migration.blocked?.length ? `; blocked: ${migration.blocked.join('; ')}` : '';
  return `Moving workloads to the Istio ${migration.version} proxy: ${restarting}; ${migration.pending ?? 0} pending${blocked}`;
}

export function computeStatus(input: StatusInput): MeshStatus {
  const { previous, generation, now, outcome, failure, target } = input;
  const prev = previous?.conditions;
  const { done, message } = progress(outcome);
  const rollout = outcome && !failure ? rolloutProgress({ outcome, previous, generation, deadlineSeconds: input.progressDeadlineSeconds, now }) : undefined;
  const stalled = rollout?.deadlineExceeded ? rollout.rollout! : undefined;
  const stalledMessage =
    stalled &&
    `${STEP_LABEL[stalled.component]} has not rolled out within ${input.progressDeadlineSeconds}s (${message}); ` +
      'nothing after it is rolled out until it does: fix what keeps it from becoming ready, or set spec.version back';
  const ready = !failure && done;
  const versionRefused = failure !== undefined && VERSION_REFUSALS.has(failure.reason);
  const migrating = !failure && input.migration !== undefined && migrationUnfinished(input.migration);

  let readyCondition: Condition;
  const previousReady = prev?.find((c) => c.type === 'Ready');
  if (versionRefused && previousReady) readyCondition = previousReady; // the running mesh is as it was
  else if (ready) readyCondition = condition(prev, 'Ready', 'True', 'ComponentsReady', `Istio ${target.version} is installed and every component is ready`, generation, now);
  else readyCondition = condition(prev, 'Ready', 'False', failure ? 'NotReconciled' : 'ComponentsNotReady', failure ? failure.message : message, generation, now);

  let progressing: Condition;
  if (failure) progressing = condition(prev, 'Progressing', 'False', 'Stopped', failure.message, generation, now);
  else if (stalled) progressing = condition(prev, 'Progressing', 'False', 'ProgressDeadlineExceeded', stalledMessage!, generation, now);
  else if (!done) progressing = condition(prev, 'Progressing', 'True', outcome?.waitingFor ? 'WaitingForComponent' : 'RollingOut', message, generation, now);
  else if (migrating) progressing = condition(prev, 'Progressing', 'True', 'MigratingWorkloads', migrationMessage(input.migration!), generation, now);
  else progressing = condition(prev, 'Progressing', 'False', 'Complete', message, generation, now);

  let degraded: Condition;
  if (failure?.reason === 'ApplyFailed') degraded = condition(prev, 'Degraded', 'True', failure.reason, failure.message, generation, now);
  else if (stalled) degraded = condition(prev, 'Degraded', 'True', 'ProgressDeadlineExceeded', stalledMessage!, generation, now);
  else degraded = condition(prev, 'Degraded', 'False', 'AsExpected', 'No component is failing', generation, now);

  const conditions: Condition[] = [
    failure
      ? condition(prev, 'Reconciled', 'False', failure.reason, failure.message, generation, now)
      : condition(prev, 'Reconciled', 'True', 'Applied', 'Every rendered object matches the spec', generation, now),
    readyCondition,
    progressing,
    degraded,
    condition(prev, 'DrainSafe', input.drain.safe ? 'True' : 'False', input.drain.reason, input.drain.message, generation, now),
  ];
  // The default tag (the injector configurations) moves to the target once the injector step is applied.
  const tagMoved = outcome?.steps.find((s) => s.component === 'injector')?.applied === true;
  const status: MeshStatus = {
    observedGeneration: generation,
    version: ready ? target.version : previous?.version,
    activeRevision: tagMoved ? target.name : (previous?.activeRevision ?? target.name),
    revisions: revisions(input),
    rollout: failure ? previous?.rollout : rollout?.rollout,
    migration: failure ? previous?.migration : input.migration,
    components: outcome ? components(outcome, target.name, previous?.components) : previous?.components,
    conditions,
  };
  for (const key of Object.keys(status) as Array<keyof MeshStatus>) if (status[key] === undefined) delete status[key];
  return status;
}

/** Status as stored: a JSON round trip drops undefined fields, so comparisons see what the API server has. */
export function asStored(status: MeshStatus | undefined): Json | undefined {
  return status === undefined ? undefined : (JSON.parse(JSON.stringify(status)) as Json);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: Json | undefined): value is { [key: string]: Json } => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The JSON merge patch (RFC 7386) that turns `before` into `after`: a merge patch keeps every key it does not
 * mention, at every depth, so a field that is gone is sent as null. Lists are replaced whole.
 */
function mergePatch(before: Json | undefined, after: Json): Json {
  if (!isObject(before) || !isObject(after)) return after;
  const patch: { [key: string]: Json } = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) patch[key] = mergePatch(before[key], value);
  return patch;
}

/** The merge patch of the status subresource that replaces `previous` with `status`. */
export function statusPatch(previous: MeshStatus | undefined, status: MeshStatus): object {
  return mergePatch(asStored(previous), asStored(status)!) as object;
}
