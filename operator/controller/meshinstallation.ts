// The MeshInstallation reconciler: fetch → finalizer → version policy → revision plan → render() (pure) →
// apply() (side effects) → workload migration → computeStatus() (pure) → patch status only when it changed.
// It never looks at why it was called, so running it again on the same world is a no-op that writes nothing.
import type { Logger } from 'pino';
import type { RenderEnvironment } from '../../cdk8s/render.js';
import { renderMeshInstallation, type RenderedComponent } from '../../cdk8s/render.js';
import { targetRevision, type RevisionRef } from '../../cdk8s/context.js';
import { catalogueEntry, supportedVersions, UnsupportedVersionError } from '../api/catalogue.js';
import { resolveSpec, type ResolvedSpec } from '../api/profiles.js';
import { durationSeconds } from '../api/duration.js';
import { FINALIZER, GROUP, PLURAL, VERSION } from '../api/names.js';
import type { MeshInstallation } from '../api/v1alpha1/index.js';
import type { EventRecorder } from '../runtime/events.js';
import type { OwnedInformers } from '../runtime/informers.js';
import type { KubeClient } from '../runtime/kube.js';
import type { OperatorMetrics } from '../metrics.js';
import type { ReconcileResult } from '../runtime/workqueue.js';
import { applySteps, deleteOwned, OwnershipConflictError, type ApplyOutcome } from './apply.js';
import { assessDrain } from './drain.js';
import { migrationUnfinished, workloadRef, type MigrationPlan } from './migration.js';
import { migrateWorkloads } from './migration-apply.js';
import { asStored, computeStatus, statusPatch, STEP_LABEL, type MeshStatus, type ReconcileFailure } from './status.js';
import { planRevisions, revisionUsage, runningVersions, type RevisionPlan } from './upgrade.js';
import { observeDataPlane } from './upgrade-dataplane.js';
import type { InjectionRoute } from './upgrade-routing.js';
import { checkVersionPolicy } from './version-policy.js';
import { isDeepStrictEqual } from 'node:util';

export interface Context {
  client: KubeClient;
  informers: OwnedInformers;
  events: EventRecorder;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Where the API server reaches the injection webhook, and with which CA and failure policy. */
  renderEnvironment: () => RenderEnvironment;
  /**
   * The Istio version the injection webhook injects right now for one of an installation's revisions (undefined
   * when it serves none): workload migration restarts only what would come back on a newer proxy.
   */
  injectedVersion: (installation: string, revision: string) => string | undefined;
  /** How this operator's webhook server gets its certificate (`--certificates`): one for every installation. */
  certificateProvider: 'SelfSigned' | 'CertManager';
  now: () => Date;
}

/** How often an installation that is still changing is looked at again, besides the informer events. */
const PROGRESS_REQUEUE_MS = 10_000;

type Mesh = MeshInstallation & { metadata: { name: string; generation?: number; uid?: string; finalizers?: string[]; deletionTimestamp?: unknown } };

/** What one reconcile did to roll the spec out. */
interface Rollout {
  outcome: ApplyOutcome;
  revisions: RevisionPlan;
  migration?: MigrationPlan;
}

export async function reconcile(name: string, ctx: Context): Promise<ReconcileResult> {
  const mesh = await ctx.client.getClusterObject<Mesh>(GROUP, VERSION, PLURAL, name);
  if (!mesh) return {};
  if (mesh.metadata.deletionTimestamp) return finalize(mesh, ctx);
  await ensureFinalizer(mesh, ctx);

  const log = ctx.log.child({ meshinstallation: name });
  const previous = mesh.status as MeshStatus | undefined;
  const spec = resolveSpec(mesh.spec);
  const target = targetRevision(spec);
  const now = ctx.now();
  let rollout: Rollout | undefined;
  let failure: ReconcileFailure | undefined;
  let unexpected: unknown;
  const refusal = checkVersionPolicy({ version: spec.version, strategy: spec.updateStrategy.type, running: runningVersions(previous) });
  if (refusal) {
    failure = { reason: refusal.rule, message: refusal.message };
  } else if (spec.certificates.provider !== ctx.certificateProvider) {
    failure = {
      reason: 'CertificateProviderMismatch',
      message:
        `spec.certificates.provider is ${spec.certificates.provider}, but this operator serves the injection webhook ` +
        `with ${ctx.certificateProvider} certificates (one webhook server, one certificate, for every installation); ` +
        `set spec.certificates.provider: ${ctx.certificateProvider}, or run the operator with --certificates=${spec.certificates.provider}`,
    };
  } else {
    try {
      rollout = await rollOut(mesh, spec, target, previous, now, { ...ctx, log });
    } catch (err) {
      if (err instanceof OwnershipConflictError) failure = { reason: 'OwnershipConflict', message: err.message };
      else if (err instanceof UnsupportedVersionError) failure = { reason: 'VersionNotInCatalogue', message: err.message };
      else {
        ctx.metrics?.reconcileErrors.inc({ reason: 'ApplyFailed' });
        failure = { reason: 'ApplyFailed', message: err instanceof Error ? err.message : String(err) };
        unexpected = err;
      }
    }
  }

  const status = computeStatus({
    generation: mesh.metadata.generation ?? 0,
    previous,
    target,
    outcome: rollout?.outcome,
    failure,
    drain: assessDrain(spec),
    retained: rollout?.revisions.retained,
    migration: rollout?.migration?.status,
    progressDeadlineSeconds: spec.updateStrategy.progressDeadlineSeconds,
    now,
  });
  if (!isDeepStrictEqual(asStored(previous), asStored(status))) {
    await ctx.client.patchClusterObjectStatus(GROUP, VERSION, PLURAL, name, statusPatch(previous, status));
  }
  await recordTransitions(mesh, previous, status, rollout, ctx);
  if (unexpected) throw unexpected;
  return requeue(status, rollout, spec.updateStrategy.progressDeadlineSeconds, now);
}

/**
 * Everything that changes the cluster: keep the older revisions that are still used, render, apply in order,
 * then move workloads onto the new proxy once the whole rollout is done.
 */
async function rollOut(mesh: Mesh, spec: ResolvedSpec, target: RevisionRef, previous: MeshStatus | undefined, now: Date, ctx: Context): Promise<Rollout> {
  const name = mesh.metadata.name;
  const env = ctx.renderEnvironment();
  const older: RevisionRef[] = (previous?.revisions ?? []).filter((r) => r.name !== target.name).map(({ name, version }) => ({ name, version }));
  let steps = renderMeshInstallation(mesh, env, { retainedRevisions: older });
  // Pods are not watched: they are read only when an older revision's usage or a migration needs them.
  let dataPlane = older.length > 0 ? await observeDataPlane(ctx.client) : undefined;
  const revisions = planRevisions({
    target,
    previous: previous?.revisions,
    usage: dataPlane ? revisionUsage(dataPlane, injectionRoute(name, steps), older.map((r) => r.name)) : new Map(),
    graceSeconds: spec.updateStrategy.inactiveRevisionDeletionGracePeriodSeconds,
    now,
  });
  if (revisions.removed.length > 0) steps = renderMeshInstallation(mesh, env, { retainedRevisions: revisions.retained });

  const outcome = await applySteps(name, steps, ctx);
  for (const step of outcome.steps) {
    ctx.metrics?.objectsApplied.inc({ component: step.component }, step.written);
    if (step.applied) ctx.metrics?.componentReady.set({ installation: name, component: step.component }, step.rolledOut ? 1 : 0);
  }
  const complete = !outcome.waitingFor && outcome.steps.every((s) => s.rolledOut);
  if (!spec.updateStrategy.workloads.restart || !complete) return { outcome, revisions };

  dataPlane ??= await observeDataPlane(ctx.client);
  const migration = await migrateWorkloads(
    {
      version: spec.version,
      previous: previous?.migration,
      dataPlane,
      route: injectionRoute(name, steps),
      injectedTag: (revision) => {
        const version = ctx.injectedVersion(name, revision);
        return version !== undefined && supportedVersions().includes(version) ? catalogueEntry(version).tag : undefined;
      },
      settings: { batchSize: spec.updateStrategy.workloads.batchSize, pauseSeconds: durationSeconds(spec.updateStrategy.workloads.pauseBetweenBatches) },
      now,
    },
    ctx,
  );
  return { outcome, revisions, migration };
}

function injectionRoute(installation: string, steps: RenderedComponent[]): InjectionRoute {
  return { installation, configurations: steps.find((s) => s.component === 'injector')?.objects ?? [] };
}

/**
 * Looked at again while something is still moving, at the latest when a deadline, a revision removal or the
 * next migration batch is due; never while stopped on a failure or a missed deadline (informer events and spec
 * edits still wake it).
 */
function requeue(status: MeshStatus, rollout: Rollout | undefined, deadlineSeconds: number, now: Date): ReconcileResult {
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (!rollout || progressing?.reason === 'ProgressDeadlineExceeded') return {};
  const dueIn = (at: Date | undefined) => Math.min(PROGRESS_REQUEUE_MS, at ? Math.max(0, at.getTime() - now.getTime()) : PROGRESS_REQUEUE_MS);
  const delays: number[] = [];
  if (progressing?.status === 'True') {
    const deadline = status.rollout && new Date(Date.parse(status.rollout.startedAt) + deadlineSeconds * 1000 + 1000);
    delays.push(dueIn(deadline));
  }
  // Pods are not watched, so an older revision's usage is polled; its removal is due at an exact time.
  if (rollout.revisions.retained.length > 0) delays.push(dueIn(rollout.revisions.nextRemovalAt));
  if (rollout.migration && migrationUnfinished(rollout.migration.status)) delays.push(dueIn(rollout.migration.nextBatchAt));
  return delays.length > 0 ? { requeueAfterMs: Math.min(...delays) } : {};
}

async function ensureFinalizer(mesh: Mesh, ctx: Context): Promise<void> {
  const finalizers = mesh.metadata.finalizers;
  if (finalizers?.includes(FINALIZER)) return;
  // `test` makes the patch fail, and the key retry, if someone else changed the list meanwhile.
  const ops = finalizers
    ? [{ op: 'test', path: '/metadata/finalizers', value: finalizers }, { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER }]
    : [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }];
  await ctx.client.jsonPatchClusterObject(GROUP, VERSION, PLURAL, mesh.metadata.name, ops);
}

async function finalize(mesh: Mesh, ctx: Context): Promise<ReconcileResult> {
  const index = mesh.metadata.finalizers?.indexOf(FINALIZER) ?? -1;
  if (index < 0) return {};
  const deleted = await deleteOwned(mesh.metadata.name, ctx);
  ctx.log.info({ meshinstallation: mesh.metadata.name, objects: deleted.length }, 'Deleted installation children');
  await ctx.events.emit(mesh as never, 'Normal', 'Deleted', `Deleted ${deleted.length} objects; Istio CRDs are left in place`);
  await ctx.client.jsonPatchClusterObject(GROUP, VERSION, PLURAL, mesh.metadata.name, [
    { op: 'test', path: `/metadata/finalizers/${index}`, value: FINALIZER },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ]);
  return {};
}

/**
 * Events for what this reconcile did or saw change: each step that wrote objects and each component that
 * finished rolling out (so `kubectl describe` shows an upgrade step by step), the default tag moving, a
 * revision removed, a batch of workloads restarted, and condition flips. A reconcile that changed nothing
 * records nothing.
 */
async function recordTransitions(mesh: Mesh, before: MeshStatus | undefined, after: MeshStatus, rollout: Rollout | undefined, ctx: Context): Promise<void> {
  const emit = (type: 'Normal' | 'Warning', reason: string, message: string) => ctx.events.emit(mesh as never, type, reason, message);
  const version = mesh.spec.version;
  for (const step of rollout?.outcome.steps ?? []) {
    if (step.written > 0) await emit('Normal', 'ComponentApplied', `Applied ${step.written} object(s) of ${STEP_LABEL[step.component] ?? step.component} (Istio ${version})`);
  }
  const finished = before?.rollout?.component;
  if (rollout && finished && finished !== after.rollout?.component) {
    await emit('Normal', 'ComponentRolledOut', `${STEP_LABEL[finished] ?? finished} rolled out (Istio ${version})`);
  }
  if (before?.activeRevision && after.activeRevision !== before.activeRevision) {
    await emit('Normal', 'DefaultTagMoved', `The default tag moved from revision ${before.activeRevision} to ${after.activeRevision}: istio-injection=enabled namespaces now get Istio ${version}`);
  }
  if (rollout && !rollout.outcome.waitingFor) {
    for (const removed of rollout.revisions.removed) {
      await emit('Normal', 'RevisionRemoved', `Removed revision ${removed.name} (Istio ${removed.version}): unused since ${removed.inactiveSince}`);
    }
  }
  if (rollout?.migration && rollout.migration.restart.length > 0) {
    const { status, restart } = rollout.migration;
    await emit('Normal', 'WorkloadsRestarted', `Restarted ${restart.map(workloadRef).join(', ')} onto the Istio ${status.version} proxy; ${status.pending ?? 0} pending`);
  }
  const blocked = after.migration?.blocked ?? [];
  if (blocked.length > 0 && !isDeepStrictEqual(blocked, before?.migration?.blocked ?? [])) {
    await emit('Warning', 'WorkloadRestartBlocked', `Not restarted while their PodDisruptionBudget allows no disruption: ${blocked.join('; ')}`);
  }
  for (const c of after.conditions ?? []) {
    const old = before?.conditions?.find((p) => p.type === c.type);
    const warning = (c.type === 'Reconciled' && c.status === 'False') || (c.type === 'Degraded' && c.status === 'True');
    // Progress messages change with every replica count; an Event marks only a change of state or of a warning.
    if (old && old.status === c.status && old.reason === c.reason && (!warning || old.message === c.message)) continue;
    if (c.type === 'Ready' || c.type === 'Progressing' || warning) {
      await emit(warning ? 'Warning' : 'Normal', c.reason, c.message);
    }
  }
}
