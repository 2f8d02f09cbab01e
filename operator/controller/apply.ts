// apply(): every side effect of a reconcile. Objects are checked for ownership first (nothing is written when
// any desired object belongs to someone else), then server-side applied component by component in install
// order, each gated on the previous one having rolled out, then children no longer rendered are pruned.
// Objects whose live state already contains every desired field are not written at all.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LABELS, MANAGED_BY } from '../api/names.js';
import { containsDesired } from '../runtime/drift.js';
import type { OwnedInformers } from '../runtime/informers.js';
import { objectKey, OWNED_KINDS } from '../runtime/kinds.js';
import { wireForm, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { workloadState, type WorkloadState } from './workloads.js';

export interface RenderedStep {
  component: string;
  objects: KubeObject[];
}

/** Steps after which the next one waits until every Deployment/DaemonSet of this step has rolled out. */
const GATED = new Set(['crds', 'controlPlane', 'cni', 'ztunnel']);

export interface ApplyContext {
  client: KubeClient;
  informers: OwnedInformers;
  log: Logger;
}

export interface StepOutcome {
  component: string;
  applied: boolean;
  written: number;
  workloads: WorkloadState[];
  rolledOut: boolean;
}

export interface ApplyOutcome {
  steps: StepOutcome[];
  /** The step later steps are waiting for, if any. */
  waitingFor?: string;
  pruned: string[];
  written: number;
}

export class OwnershipConflictError extends Error {
  constructor(readonly object: string, readonly owner: string | undefined) {
    super(
      owner
        ? `${object} belongs to MeshInstallation "${owner}"; remove it from one of the installations or delete the other installation`
        : `${object} already exists and is not managed by meshloom; delete it, or label it ${LABELS.installation}=<name> to let meshloom adopt it`,
    );
    this.name = 'OwnershipConflictError';
  }
}

function describe(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind} ${ns ? `${ns}/` : ''}${obj.metadata?.name}`;
}

function installationOf(obj: KubeObject | undefined): string | undefined {
  return obj?.metadata?.labels?.[LABELS.installation];
}

/**
 * Things meshloom uses but never writes: a namespace that exists without an installation label, and Istio
 * CRDs installed by someone else (Istio's Helm base chart, say) — replacing those could lose users' config.
 */
function isUsersOwn(obj: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return false;
  if (obj.kind === 'Namespace') return installationOf(live) === undefined;
  return obj.kind === 'CustomResourceDefinition' && live.metadata?.labels?.[LABELS.managedBy] !== MANAGED_BY;
}

/** Istio's CRDs are cluster-wide and outlive installations: every meshloom installation renders them alike. */
function isSharedCrd(obj: KubeObject, live: KubeObject): boolean {
  return obj.kind === 'CustomResourceDefinition' && live.metadata?.labels?.[LABELS.managedBy] === MANAGED_BY;
}

function established(crd: KubeObject | undefined): boolean {
  const conditions = (crd?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions;
  return conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

/** CRDs are Established within a second or so; objects of their kinds cannot be applied before that. */
async function waitForEstablished(crds: KubeObject[], ctx: ApplyContext): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const live = await Promise.all(crds.map((crd) => ctx.client.get(crd as Parameters<KubeClient['get']>[0])));
    if (live.every(established)) return true;
    await sleep(200);
  }
  return false;
}

async function liveObject(ctx: ApplyContext, obj: KubeObject): Promise<KubeObject | undefined> {
  const cached = ctx.informers.get(obj.apiVersion!, obj.kind!, obj.metadata!.name!, obj.metadata?.namespace);
  // Not in the label-filtered cache: absent, not ours, or created a moment ago. Ask the API server.
  const live =
    cached ?? (await ctx.client.get({ apiVersion: obj.apiVersion!, kind: obj.kind!, metadata: { name: obj.metadata!.name!, namespace: obj.metadata?.namespace } }));
  return live && wireForm(live, obj.apiVersion!, obj.kind!);
}

/** Reads the live state of every desired object and refuses to continue if any belongs to someone else. */
async function checkOwnership(installation: string, steps: RenderedStep[], ctx: ApplyContext): Promise<Map<string, KubeObject | undefined>> {
  const live = new Map<string, KubeObject | undefined>();
  for (const obj of steps.flatMap((s) => s.objects)) {
    const current = await liveObject(ctx, obj);
    live.set(objectKey(obj), current);
    if (!current) continue;
    if (isUsersOwn(obj, current) || isSharedCrd(obj, current)) continue;
    const owner = installationOf(current);
    if (owner !== installation) throw new OwnershipConflictError(describe(obj), owner);
  }
  return live;
}

export async function applySteps(installation: string, steps: RenderedStep[], ctx: ApplyContext): Promise<ApplyOutcome> {
  const live = await checkOwnership(installation, steps, ctx);
  const outcome: ApplyOutcome = { steps: [], pruned: [], written: 0 };
  for (const step of steps) {
    if (outcome.waitingFor) {
      outcome.steps.push({ component: step.component, applied: false, written: 0, workloads: [], rolledOut: false });
      continue;
    }
    let written = 0;
    const current = new Map<string, KubeObject | undefined>();
    for (const obj of step.objects) {
      const key = objectKey(obj);
      let state = live.get(key);
      if (!isUsersOwn(obj, state) && !(state && containsDesired(state, obj))) {
        state = await ctx.client.apply(obj);
        written++;
        ctx.log.info({ kind: obj.kind, name: obj.metadata?.name, namespace: obj.metadata?.namespace }, 'Applied object');
      }
      current.set(key, state);
    }
    const workloads = step.objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')
      .map((o) => ({
        ...workloadState(o.kind as 'Deployment' | 'DaemonSet', o.metadata!.name!, o.metadata!.namespace!, current.get(objectKey(o))),
        revision: o.metadata?.labels?.[LABELS.revision],
      }));
    const pendingCrds = step.objects.filter((o) => o.kind === 'CustomResourceDefinition' && !established(current.get(objectKey(o))));
    const rolledOut = workloads.every((w) => w.rolledOut) && (pendingCrds.length === 0 || (await waitForEstablished(pendingCrds, ctx)));
    outcome.steps.push({ component: step.component, applied: true, written, workloads, rolledOut });
    outcome.written += written;
    if (GATED.has(step.component) && !rolledOut) outcome.waitingFor = step.component;
  }
  if (!outcome.waitingFor) outcome.pruned = await prune(installation, steps, ctx);
  outcome.written += outcome.pruned.length;
  return outcome;
}

/** Deletes children labelled for this installation that are no longer rendered. Never namespaces or CRDs. */
async function prune(installation: string, steps: RenderedStep[], ctx: ApplyContext): Promise<string[]> {
  if (!ctx.informers.synced) return [];
  const desired = new Set(steps.flatMap((s) => s.objects.map(objectKey)));
  const pruned: string[] = [];
  for (const { kind, object } of ctx.informers.ownedBy(installation)) {
    const ref = { apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name: object.metadata!.name!, namespace: object.metadata?.namespace } };
    if (!kind.prunable || desired.has(objectKey(ref))) continue;
    await ctx.client.delete(ref);
    pruned.push(describe(ref as KubeObject));
    ctx.log.info({ kind: kind.kind, name: ref.metadata.name, namespace: ref.metadata.namespace }, 'Pruned object');
  }
  return pruned;
}

/**
 * Removes everything the installation created except Istio CRDs: the webhook configurations first, so no pod
 * creation is sent to a webhook that is going away, then the rest, then the namespaces meshloom created.
 * Deletes are issued in the background and not awaited, so deletion never hangs on a broken control plane.
 */
export async function deleteOwned(installation: string, ctx: ApplyContext): Promise<string[]> {
  const owned = ctx.informers.synced ? ctx.informers.ownedBy(installation) : await listOwned(installation, ctx);
  const rank = (k: string) => (k.endsWith('WebhookConfiguration') ? 0 : k === 'Namespace' ? 2 : 1);
  const deleted: string[] = [];
  for (const { kind, object } of owned.sort((a, b) => rank(a.kind.kind) - rank(b.kind.kind))) {
    if (kind.kind === 'CustomResourceDefinition') continue;
    const ref = { apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name: object.metadata!.name!, namespace: object.metadata?.namespace } };
    await ctx.client.delete(ref);
    deleted.push(describe(ref as KubeObject));
  }
  return deleted;
}

async function listOwned(installation: string, ctx: ApplyContext) {
  const selector = `${LABELS.installation}=${installation}`;
  const lists = await Promise.all(
    OWNED_KINDS.map(async (kind) => (await ctx.client.list(kind.apiVersion, kind.kind, selector)).map((object) => ({ kind, object }))),
  );
  return lists.flat();
}
