// Workload migration, the side effects: find the Deployments, StatefulSets and DaemonSets behind stale pods,
// read the PodDisruptionBudgets, and restart the batch planMigration() chose by setting an annotation on each
// pod template (server-side apply with meshloom's field manager, so only that annotation becomes meshloom's).
import type { Logger } from 'pino';
import type { MigrationStatus } from '../api/v1alpha1/index.js';
import type { KubeClient, KubeObject } from '../runtime/kube.js';
import { planMigration, RESTARTED_FOR_ANNOTATION, stalePods, type DisruptionBudget, type MigrationPlan, type MigrationSettings, type MigrationWorkload } from './migration.js';
import type { DataPlane, InjectedPod } from './upgrade.js';
import type { InjectionRoute, LabelSelector } from './upgrade-routing.js';
import { workloadState, type WorkloadKind } from './workloads.js';

export interface MigrationContext {
  client: KubeClient;
  log: Logger;
}

export interface MigrationRequest {
  version: string;
  previous: MigrationStatus | undefined;
  dataPlane: DataPlane;
  route: InjectionRoute;
  /** Image tag the webhook injects now for a revision; undefined when it serves none. */
  injectedTag: (revision: string) => string | undefined;
  settings: MigrationSettings;
  now: Date;
}

type Template = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
type Owner = { kind: string; name: string; controller?: boolean };

/** The workload a pod belongs to: a Deployment through its ReplicaSet, or a StatefulSet or DaemonSet directly. */
async function owningWorkload(pod: InjectedPod, client: KubeClient): Promise<{ kind: WorkloadKind; name: string } | undefined> {
  const owner = pod.owner;
  if (owner?.kind === 'StatefulSet' || owner?.kind === 'DaemonSet') return { kind: owner.kind, name: owner.name };
  if (owner?.kind !== 'ReplicaSet') return undefined; // bare pods and Jobs are not restarted
  const replicaSet = await client.get({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: owner.name, namespace: pod.namespace } });
  const deployment = (replicaSet?.metadata?.ownerReferences as Owner[] | undefined)?.find((ref) => ref.controller && ref.kind === 'Deployment');
  return deployment && { kind: 'Deployment', name: deployment.name };
}

async function ownerWorkloads(pods: readonly InjectedPod[], client: KubeClient): Promise<MigrationWorkload[]> {
  const seen = new Map<string, MigrationWorkload | undefined>();
  for (const pod of pods) {
    const owner = await owningWorkload(pod, client);
    if (!owner) continue;
    const key = `${owner.kind}/${pod.namespace}/${owner.name}`;
    if (seen.has(key)) continue;
    const live = await client.get({ apiVersion: 'apps/v1', kind: owner.kind, metadata: { name: owner.name, namespace: pod.namespace } });
    const template = (live?.spec as { template?: Template } | undefined)?.template;
    seen.set(
      key,
      live && {
        ...owner,
        namespace: pod.namespace,
        podLabels: template?.metadata?.labels ?? {},
        restartedFor: template?.metadata?.annotations?.[RESTARTED_FOR_ANNOTATION],
        rolledOut: workloadState(owner.kind, owner.name, pod.namespace, live).rolledOut,
      },
    );
  }
  return [...seen.values()].filter((w): w is MigrationWorkload => w !== undefined);
}

async function disruptionBudgets(client: KubeClient): Promise<DisruptionBudget[]> {
  const budgets = await client.list<KubeObject & { spec?: { selector?: LabelSelector }; status?: { disruptionsAllowed?: number } }>('policy/v1', 'PodDisruptionBudget');
  return budgets.map((b) => ({
    namespace: b.metadata!.namespace!,
    name: b.metadata!.name!,
    selector: b.spec?.selector,
    disruptionsAllowed: b.status?.disruptionsAllowed ?? 0,
  }));
}

/** Plans the next step of the migration and restarts the workloads it picks. */
export async function migrateWorkloads(request: MigrationRequest, ctx: MigrationContext): Promise<MigrationPlan> {
  const stale = stalePods(request.dataPlane, request.route, request.injectedTag);
  const workloads = await ownerWorkloads(stale, ctx.client);
  const budgets = workloads.length > 0 ? await disruptionBudgets(ctx.client) : [];
  const plan = planMigration({ version: request.version, previous: request.previous, workloads, budgets, settings: request.settings, now: request.now });
  for (const workload of plan.restart) {
    await ctx.client.apply({
      apiVersion: 'apps/v1',
      kind: workload.kind,
      metadata: { name: workload.name, namespace: workload.namespace },
      spec: { template: { metadata: { annotations: { [RESTARTED_FOR_ANNOTATION]: request.version } } } },
    });
    ctx.log.info({ kind: workload.kind, name: workload.name, namespace: workload.namespace, version: request.version }, 'Restarted workload onto the new proxy version');
  }
  return plan;
}
