// Workload migration (spec.updateStrategy.workloads.restart), the decisions: which injected workloads still run
// an older proxy than the webhook now injects for them, and which of them to restart now — batchSize at a time,
// the next batch pauseBetweenBatches after the previous one has rolled out, never one whose
// PodDisruptionBudget allows no disruption, and never two under the same budget in one batch. Pure; the
// restarts themselves are in migration-apply.ts.
import { GROUP } from '../api/names.js';
import type { MigrationStatus } from '../api/v1alpha1/index.js';
import type { DataPlane, InjectedPod } from './upgrade.js';
import { timestamp } from './upgrade.js';
import { injectedRevision, labelSelectorMatches, type InjectionRoute, type LabelSelector } from './upgrade-routing.js';
import type { WorkloadKind } from './workloads.js';

/**
 * Set on the pod template of a restarted workload, to the Istio version it was restarted for. Changing it rolls
 * the workload out (as `kubectl rollout restart` does with its own annotation), and it records that this
 * version's restart was done, so a workload whose new pods still get an older proxy is not restarted in a loop.
 */
export const RESTARTED_FOR_ANNOTATION = `${GROUP}/restarted-for-version`;

export interface MigrationWorkload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** Labels of its pod template: what PodDisruptionBudgets select. */
  podLabels: Record<string, string>;
  /** RESTARTED_FOR_ANNOTATION on its pod template. */
  restartedFor?: string;
  rolledOut: boolean;
}

export interface DisruptionBudget {
  namespace: string;
  name: string;
  /** policy/v1: absent selects no pod. */
  selector?: LabelSelector;
  disruptionsAllowed: number;
}

export interface MigrationSettings {
  batchSize: number;
  pauseSeconds: number;
}

export function workloadRef(w: { kind: string; namespace: string; name: string }): string {
  return `${w.kind} ${w.namespace}/${w.name}`;
}

function imageTag(image: string): string | undefined {
  const tail = image.split('/').pop() ?? '';
  return tail.includes(':') ? tail.split(':').pop()!.split('@')[0] : undefined;
}

/**
 * Pods, not already on their way out, whose proxy image tag differs from the one the webhook would inject if
 * the pod were created again now. `injectedTag` answers that per revision (undefined: nothing is injected).
 */
export function stalePods(dataPlane: DataPlane, route: InjectionRoute, injectedTag: (revision: string) => string | undefined): InjectedPod[] {
  return dataPlane.pods.filter((pod) => {
    if (pod.terminating) return false;
    const revision = injectedRevision(route, dataPlane.namespaces.get(pod.namespace) ?? {}, pod.labels);
    const tag = revision === undefined ? undefined : injectedTag(revision);
    return tag !== undefined && imageTag(pod.proxyImage) !== tag;
  });
}

export interface MigrationInput {
  /** The Istio version workloads are moved to. */
  version: string;
  previous: MigrationStatus | undefined;
  /** Workloads owning at least one stale pod. */
  workloads: readonly MigrationWorkload[];
  budgets: readonly DisruptionBudget[];
  settings: MigrationSettings;
  now: Date;
}

export interface MigrationPlan {
  /** Restart these now. */
  restart: MigrationWorkload[];
  status: MigrationStatus;
  /** The next batch may start then, once the pause after the last one is over. */
  nextBatchAt?: Date;
}

export function planMigration({ version, previous, workloads, budgets, settings, now }: MigrationInput): MigrationPlan {
  const before = previous?.version === version ? previous : undefined;
  const sorted = [...workloads].sort((a, b) => workloadRef(a).localeCompare(workloadRef(b)));
  const inFlight = sorted.filter((w) => w.restartedFor === version && !w.rolledOut);
  // Restarted for this version and rolled out: whatever old pods remain are terminating, or the webhook put an
  // old proxy back (a pinned revision); either way another restart would not help.
  const waiting = sorted.filter((w) => w.restartedFor !== version);

  let lastBatchCompletedAt = before?.lastBatchCompletedAt;
  if (inFlight.length === 0 && (before?.restarting?.length ?? 0) > 0) lastBatchCompletedAt = timestamp(now);
  const nextBatchAt = lastBatchCompletedAt ? new Date(Date.parse(lastBatchCompletedAt) + settings.pauseSeconds * 1000) : undefined;
  const mayStart = inFlight.length === 0 && (!nextBatchAt || nextBatchAt <= now);

  const restart: MigrationWorkload[] = [];
  const blocked: string[] = [];
  const spent = new Set<DisruptionBudget>();
  for (const workload of waiting) {
    const covering = budgets.filter(
      (b) => b.namespace === workload.namespace && b.selector !== undefined && labelSelectorMatches(b.selector, workload.podLabels),
    );
    const exhausted = covering.find((b) => b.disruptionsAllowed < 1);
    if (exhausted) {
      blocked.push(`${workloadRef(workload)}: PodDisruptionBudget ${exhausted.namespace}/${exhausted.name} allows no disruption`);
      continue;
    }
    if (!mayStart || restart.length >= settings.batchSize || covering.some((b) => spent.has(b))) continue;
    restart.push(workload);
    covering.forEach((b) => spent.add(b));
  }

  const status: MigrationStatus = {
    version,
    restarted: (before?.restarted ?? 0) + restart.length,
    pending: waiting.length - restart.length,
  };
  const restarting = (inFlight.length > 0 ? inFlight : restart).map(workloadRef);
  if (restarting.length > 0) status.restarting = restarting;
  if (blocked.length > 0) status.blocked = blocked;
  if (lastBatchCompletedAt) status.lastBatchCompletedAt = lastBatchCompletedAt;
  return { restart, status, nextBatchAt: inFlight.length === 0 && !mayStart ? nextBatchAt : undefined };
}

/** Migration has work left: a batch rolling out, or workloads waiting for theirs. */
export function migrationUnfinished(status: MigrationStatus | undefined): boolean {
  return (status?.restarting?.length ?? 0) > 0 || (status?.pending ?? 0) > 0;
}
