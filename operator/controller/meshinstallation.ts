// The MeshInstallation reconciler: fetch → finalizer → render() (pure) → apply() (side effects) →
// computeStatus() (pure) → patch status only when it changed. It never looks at why it was called, so
// running it again on the same world is a no-op that writes nothing.
import type { Logger } from 'pino';
import type { RenderEnvironment } from '../../cdk8s/render.js';
import { renderMeshInstallation } from '../../cdk8s/render.js';
import { renderContext } from '../../cdk8s/context.js';
import { resolveSpec } from '../api/profiles.js';
import { UnsupportedVersionError } from '../api/catalogue.js';
import { FINALIZER, GROUP, PLURAL, VERSION } from '../api/names.js';
import type { MeshInstallation } from '../api/v1alpha1/index.js';
import type { EventRecorder } from '../runtime/events.js';
import type { OwnedInformers } from '../runtime/informers.js';
import type { KubeClient } from '../runtime/kube.js';
import type { OperatorMetrics } from '../metrics.js';
import type { ReconcileResult } from '../runtime/workqueue.js';
import { applySteps, deleteOwned, OwnershipConflictError, type ApplyOutcome } from './apply.js';
import { assessDrain } from './drain.js';
import { computeStatus, type MeshStatus, type ReconcileFailure } from './status.js';
import { isDeepStrictEqual } from 'node:util';

export interface Context {
  client: KubeClient;
  informers: OwnedInformers;
  events: EventRecorder;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Where the API server reaches the injection webhook, and with which CA and failure policy. */
  renderEnvironment: () => RenderEnvironment;
  now: () => Date;
}

/** How often an installation that is still rolling out is looked at again, besides the informer events. */
const PROGRESS_REQUEUE_MS = 10_000;

type Mesh = MeshInstallation & { metadata: { name: string; generation?: number; uid?: string; finalizers?: string[]; deletionTimestamp?: unknown } };

export async function reconcile(name: string, ctx: Context): Promise<ReconcileResult> {
  const mesh = await ctx.client.getClusterObject<Mesh>(GROUP, VERSION, PLURAL, name);
  if (!mesh) return {};
  if (mesh.metadata.deletionTimestamp) return finalize(mesh, ctx);
  await ensureFinalizer(mesh, ctx);

  const log = ctx.log.child({ meshinstallation: name });
  let outcome: ApplyOutcome | undefined;
  let failure: ReconcileFailure | undefined;
  let unexpected: unknown;
  let revision: string | undefined;
  const spec = resolveSpec(mesh.spec);
  try {
    revision = renderContext(mesh).revision;
    const steps = renderMeshInstallation(mesh, ctx.renderEnvironment());
    outcome = await applySteps(name, steps, { ...ctx, log });
    for (const step of outcome.steps) {
      ctx.metrics?.objectsApplied.inc({ component: step.component }, step.written);
      if (step.applied) ctx.metrics?.componentReady.set({ installation: name, component: step.component }, step.rolledOut ? 1 : 0);
    }
  } catch (err) {
    if (err instanceof OwnershipConflictError) failure = { reason: 'OwnershipConflict', message: err.message };
    else if (err instanceof UnsupportedVersionError) failure = { reason: 'VersionRefused', message: err.message };
    else {
      ctx.metrics?.reconcileErrors.inc({ reason: 'ApplyFailed' });
      failure = { reason: 'ApplyFailed', message: err instanceof Error ? err.message : String(err) };
      unexpected = err;
    }
  }

  const previous = mesh.status as MeshStatus | undefined;
  const status = computeStatus({
    generation: mesh.metadata.generation ?? 0,
    previous,
    version: spec.version,
    revision: revision ?? (mesh.status as MeshStatus | undefined)?.activeRevision ?? 'default',
    outcome,
    failure,
    drain: assessDrain(spec),
    now: ctx.now(),
  });
  if (!isDeepStrictEqual(normaliseStatus(previous), normaliseStatus(status))) {
    await ctx.client.patchClusterObjectStatus(GROUP, VERSION, PLURAL, name, status);
    await recordTransitions(mesh, previous, status, outcome, ctx);
  }
  if (unexpected) throw unexpected;
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return ready || failure ? {} : { requeueAfterMs: PROGRESS_REQUEUE_MS };
}

/** Status as stored: JSON round-trip drops undefined fields so the comparison sees what the API server has. */
function normaliseStatus(status: MeshStatus | undefined): unknown {
  return status === undefined ? undefined : JSON.parse(JSON.stringify(status));
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

/** Events for what changed since the last status: one per condition flip and per step that was written. */
async function recordTransitions(mesh: Mesh, before: MeshStatus | undefined, after: MeshStatus, outcome: ApplyOutcome | undefined, ctx: Context): Promise<void> {
  for (const step of outcome?.steps ?? []) {
    if (step.written > 0) await ctx.events.emit(mesh as never, 'Normal', 'ComponentApplied', `Applied ${step.written} object(s) of ${step.component}`);
  }
  for (const c of after.conditions ?? []) {
    const old = before?.conditions?.find((p) => p.type === c.type);
    if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) continue;
    const warning = (c.type === 'Reconciled' && c.status === 'False') || (c.type === 'Degraded' && c.status === 'True');
    if (c.type === 'Ready' || c.type === 'Progressing' || warning) {
      await ctx.events.emit(mesh as never, warning ? 'Warning' : 'Normal', c.reason, c.message);
    }
  }
}
