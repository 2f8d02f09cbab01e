// Upgrade decisions, all pure: which control-plane revisions to keep (a revision-based upgrade runs the old
// revision until no pod uses it for the grace period), which component is rolling out and since when (a step
// that exceeds its deadline makes the installation Degraded), and which versions the cluster still runs (for
// the version policy).
import type { RevisionRef } from '../../cdk8s/context.js';
import type { RevisionStatus, RolloutStatus } from '../api/v1alpha1/index.js';
import type { ApplyOutcome } from './apply.js';
import { injectedRevision, type InjectionRoute } from './upgrade-routing.js';

/** A pod that carries an injected istio-proxy (label `security.istio.io/tlsMode=istio`). */
export interface InjectedPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** The revision that injected it: its `istio.io/rev` annotation. */
  revision: string;
  proxyImage: string;
  /** The controller named by its ownerReference, if any. */
  owner?: { kind: string; name: string };
  /** Being deleted: its proxy still runs, but a replacement is on its way. */
  terminating: boolean;
}

/** What the data plane looks like, as far as revisions and proxies go. */
export interface DataPlane {
  pods: InjectedPod[];
  /** Labels of every namespace, by name. */
  namespaces: ReadonlyMap<string, Record<string, string>>;
}

/** Versions the installation's revisions still run, according to its status. */
export function runningVersions(status: { version?: string; revisions?: RevisionStatus[] } | undefined): string[] {
  return [...new Set([...(status?.version ? [status.version] : []), ...(status?.revisions ?? []).map((r) => r.version)])];
}

/**
 * For each of `revisions` that something still uses, the first such thing found: a namespace whose labels send
 * new pods to it, else a pod whose proxy it injected. Namespaces first, as they change far less often than pods.
 */
export function revisionUsage(dataPlane: DataPlane, route: InjectionRoute, revisions: readonly string[]): Map<string, string> {
  const wanted = new Set(revisions);
  const usage = new Map<string, string>();
  for (const [name, labels] of [...dataPlane.namespaces].sort(([a], [b]) => a.localeCompare(b))) {
    const revision = injectedRevision(route, labels, {});
    if (revision !== undefined && wanted.has(revision) && !usage.has(revision)) usage.set(revision, `namespace ${name}`);
  }
  const pods = [...dataPlane.pods].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const pod of pods) {
    if (wanted.has(pod.revision) && !usage.has(pod.revision)) usage.set(pod.revision, `pod ${pod.namespace}/${pod.name}`);
  }
  return usage;
}

export interface RetainedRevision extends RevisionRef {
  inUse: boolean;
  /** What uses it, when something does. */
  usedBy?: string;
  inactiveSince?: string;
}

export interface RevisionPlan {
  target: RevisionRef;
  /** Older revisions that keep running beside the target. */
  retained: RetainedRevision[];
  /** Older revisions unused for the whole grace period: no longer rendered, so they are pruned. */
  removed: RetainedRevision[];
  /** When the next retained revision becomes removable if it stays unused. */
  nextRemovalAt?: Date;
}

export interface RevisionPlanInput {
  target: RevisionRef;
  previous: readonly RevisionStatus[] | undefined;
  /** From revisionUsage(); a revision missing from it is unused. */
  usage: ReadonlyMap<string, string>;
  graceSeconds: number;
  now: Date;
}

export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function planRevisions({ target, previous, usage, graceSeconds, now }: RevisionPlanInput): RevisionPlan {
  const plan: RevisionPlan = { target, retained: [], removed: [] };
  for (const entry of previous ?? []) {
    if (entry.name === target.name) continue;
    const usedBy = usage.get(entry.name);
    const revision: RetainedRevision = { name: entry.name, version: entry.version, inUse: usedBy !== undefined, usedBy };
    if (usedBy !== undefined) {
      plan.retained.push(revision);
      continue;
    }
    revision.inactiveSince = entry.inactiveSince ?? timestamp(now);
    const removableAt = new Date(Date.parse(revision.inactiveSince) + graceSeconds * 1000);
    if (removableAt <= now) {
      plan.removed.push(revision);
    } else {
      plan.retained.push(revision);
      if (!plan.nextRemovalAt || removableAt < plan.nextRemovalAt) plan.nextRemovalAt = removableAt;
    }
  }
  return plan;
}

/** The components whose rollout is awaited, in order; a step that exceeds its deadline stops the ones after it. */
const ROLLOUT_ORDER = ['controlPlane', 'cni', 'ztunnel', 'gateways'] as const;

export interface RolloutInput {
  outcome: ApplyOutcome;
  previous: { observedGeneration?: number; rollout?: RolloutStatus } | undefined;
  generation: number;
  deadlineSeconds: number;
  now: Date;
}

export interface RolloutProgress {
  /** The first component that has not rolled out, and since when it is awaited; undefined when all have. */
  rollout?: RolloutStatus;
  /** The awaited component has been rolling out for longer than the deadline. */
  deadlineExceeded: boolean;
}

export function rolloutProgress({ outcome, previous, generation, deadlineSeconds, now }: RolloutInput): RolloutProgress {
  const step = ROLLOUT_ORDER.map((c) => outcome.steps.find((s) => s.component === c)).find((s) => s?.applied && !s.rolledOut);
  if (!step) return { deadlineExceeded: false };
  // The clock restarts when the spec changes: a new generation is a new rollout.
  const same = previous?.rollout?.component === step.component && previous.observedGeneration === generation;
  const rollout = { component: step.component, startedAt: same ? previous!.rollout!.startedAt : timestamp(now) };
  return { rollout, deadlineExceeded: now.getTime() - Date.parse(rollout.startedAt) > deadlineSeconds * 1000 };
}
