// Upgrades by editing the MeshInstallation, against the local API server with the operator as a host process:
// in place (components rolled in order, each awaited; a step past its deadline stops the rollout; injected
// workloads restarted onto the new proxy), revision-based (two istiods, the default tag, the old revision
// removed after its grace period and not before), and the version policy (CEL transition rules at kubectl, the
// operator's own check with a condition and an Event, nothing changed).
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { GROUP, LABELS, PLURAL, VERSION } from '../operator/api/names.js';
import type { MeshInstallationSpec, MeshInstallationStatus } from '../operator/api/v1alpha1/index.js';
import { RESTARTED_FOR_ANNOTATION } from '../operator/controller/migration.js';
import { workloadState, type WorkloadKind } from '../operator/controller/workloads.js';
import { KubeClient, type KubeObject } from '../operator/runtime/kube.js';
import { OWNED_KINDS } from '../operator/runtime/kinds.js';
import { loadKubeConfig, uniqueName, waitFor } from './harness/cluster.js';
import { kubectl, kubectlOk } from './harness/kubectl.js';
import { applyCrds, operatorKubeconfig, startOperator, type RunningOperator } from './harness/operator.js';

type Mesh = KubeObject & { metadata: { name: string }; spec: MeshInstallationSpec; status?: MeshInstallationStatus };
type Pod = KubeObject & {
  metadata: { name: string; annotations?: Record<string, string>; deletionTimestamp?: unknown };
  spec: { containers: Array<{ name: string; image: string }>; initContainers?: Array<{ name: string; image: string }> };
};

const kubeConfig = loadKubeConfig();
const client = new KubeClient(kubeConfig);
let operator: RunningOperator;

const OLD = '1.29.8';
const NEW = '1.30.3';
const SMALL = { requests: { cpu: '10m', memory: '32Mi' } };

async function getMesh(name: string): Promise<Mesh | undefined> {
  return client.getClusterObject<Mesh>(GROUP, VERSION, PLURAL, name);
}

const condition = (mesh: Mesh | undefined, type: string) => mesh?.status?.conditions?.find((c) => c.type === type);

async function waitForMesh(name: string, description: string, check: (mesh: Mesh) => boolean, timeoutMs = 60_000): Promise<Mesh> {
  return waitFor(
    async () => {
      const mesh = await getMesh(name);
      return mesh && check(mesh) ? mesh : undefined;
    },
    { timeoutMs, intervalMs: 200, description: `MeshInstallation ${name}: ${description}` },
  );
}

const readyAt = (version: string) => (mesh: Mesh) =>
  condition(mesh, 'Ready')?.status === 'True' && mesh.status?.version === version && mesh.status.observedGeneration === mesh.metadata.generation;

function applyMesh(name: string, spec: MeshInstallationSpec): void {
  kubectlOk(['apply', '-f', '-'], stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'MeshInstallation', metadata: { name }, spec }));
}

function patchSpec(name: string, spec: Record<string, unknown>): ReturnType<typeof kubectl> {
  return kubectl(['patch', 'meshinstallation', name, '--type=merge', '-p', JSON.stringify({ spec })]);
}

async function deleteMesh(name: string): Promise<void> {
  kubectl(['delete', 'meshinstallation', name, '--wait=false', '--ignore-not-found']);
  await waitFor(async () => !(await getMesh(name)), { timeoutMs: 60_000, description: `MeshInstallation ${name} to be gone` });
}

async function events(name: string): Promise<Array<{ reason: string; message: string; type: string }>> {
  const list = await client.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', type: e.type ?? '' }));
}

async function namespace(name: string, labels: Record<string, string>): Promise<void> {
  await client.core.createNamespace({ body: { metadata: { name, labels } } });
  // Pods are refused until kube-controller-manager has created the default ServiceAccount.
  await waitFor(() => client.core.readNamespacedServiceAccount({ name: 'default', namespace: name }), { timeoutMs: 30_000, description: `serviceaccount/default in ${name}` });
}

/** A Deployment whose pods kwok runs; a short grace period so replaced pods go quickly. */
function app(name: string, namespace: string, replicas = 1): void {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 6, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  };
  kubectlOk(['apply', '-f', '-'], stringify(deployment));
}

function proxyImage(pod: Pod): string | undefined {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === 'istio-proxy')?.image;
}

async function livePods(namespace: string, appName: string): Promise<Pod[]> {
  return (await client.list<Pod>('v1', 'Pod', `app=${appName}`)).filter((p) => p.metadata.namespace === namespace && !p.metadata.deletionTimestamp);
}

/** Every live pod of the app carries the given proxy version (and there is at least one). */
async function podsOn(namespace: string, appName: string, version: string): Promise<Pod[] | undefined> {
  const pods = await livePods(namespace, appName);
  return pods.length > 0 && pods.every((p) => proxyImage(p) === `docker.io/istio/proxyv2:${version}`) ? pods : undefined;
}

/**
 * Watches an installation's Deployments and DaemonSets and records, per workload, when its pod template first
 * showed `image` and when it had then fully rolled out: the order of an upgrade, as the API server saw it.
 */
class RolloutRecorder {
  readonly started = new Map<string, number>();
  readonly completed = new Map<string, number>();
  readonly #aborts: AbortController[] = [];

  constructor(private readonly tag: string) {}

  async start(installation: string): Promise<void> {
    const watch = new k8s.Watch(kubeConfig);
    for (const [kind, path] of [['Deployment', '/apis/apps/v1/deployments'], ['DaemonSet', '/apis/apps/v1/daemonsets']] as const) {
      this.#aborts.push(
        await watch.watch(path, { labelSelector: `${LABELS.installation}=${installation}` }, (_type, obj: KubeObject) => this.#record(kind, obj), () => undefined),
      );
    }
  }

  #record(kind: WorkloadKind, obj: KubeObject): void {
    const name = obj.metadata!.name!;
    const images = ((obj.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers ?? []).map((c) => c.image);
    if (!images.some((image) => image.endsWith(`:${this.tag}`))) return;
    if (!this.started.has(name)) this.started.set(name, Date.now());
    if (!this.completed.has(name) && workloadState(kind, name, obj.metadata!.namespace!, obj).rolledOut) this.completed.set(name, Date.now());
  }

  stop(): void {
    for (const abort of this.#aborts) abort.abort();
  }
}

const Upgrades = suite('upgrades by editing the MeshInstallation');

Upgrades.before(async () => {
  await applyCrds(kubeConfig);
  operator = await startOperator(await operatorKubeconfig(kubeConfig));
});

Upgrades.after(async () => {
  assert.is(await operator.stop(), 0, 'the operator exits 0 on SIGTERM');
});

// ---- InPlace -----------------------------------------------------------------------------------------------

const inPlace = uniqueName('inplace');
const inPlaceNs = { controlPlane: uniqueName('istio-ip'), gateway: uniqueName('gw-ip'), app: uniqueName('shop-ip') };
const inPlaceSpec = (version: string): MeshInstallationSpec => ({
  version,
  profile: 'default',
  namespace: inPlaceNs.controlPlane,
  controlPlane: { replicas: 1, resources: SMALL },
  // Short grace periods: kwok takes up to a pod's grace period to delete it.
  nodeTunnel: { enabled: true, terminationGracePeriodSeconds: 2, resources: SMALL },
  gateways: [{ name: 'ingressgateway', namespace: inPlaceNs.gateway, replicas: 1, resources: SMALL, drain: { duration: '1s' }, terminationGracePeriodSeconds: 2, service: { type: 'ClusterIP' } }],
  injection: { enabled: true },
  updateStrategy: { type: 'InPlace', workloads: { restart: true, batchSize: 1, pauseBetweenBatches: '1s' } },
});

Upgrades('InPlace 1.29.8 → 1.30.3: control plane, istio-cni, ztunnel, gateways, each after the previous rolled out; the workload moves to the new proxy', async () => {
  applyMesh(inPlace, inPlaceSpec(OLD));
  await waitForMesh(inPlace, `Ready at ${OLD}`, readyAt(OLD), 120_000);
  await namespace(inPlaceNs.app, { 'istio-injection': 'enabled' });
  app('hello', inPlaceNs.app, 2);
  await waitFor(() => podsOn(inPlaceNs.app, 'hello', OLD), { timeoutMs: 30_000, description: `hello pods injected with the ${OLD} proxy` });

  const recorder = new RolloutRecorder(NEW);
  await recorder.start(inPlace);
  const edited = Date.now();
  assert.is(patchSpec(inPlace, { version: NEW }).status, 0);
  const mesh = await waitForMesh(inPlace, `Ready at ${NEW}`, readyAt(NEW), 240_000);
  recorder.stop();

  const order = ['istiod', 'istio-cni-node', 'ztunnel', 'ingressgateway'];
  for (const name of order) {
    assert.ok(recorder.started.get(name)! >= edited, `${name} was updated after the edit`);
    assert.ok(recorder.completed.has(name), `${name} rolled out`);
  }
  for (let i = 1; i < order.length; i++) {
    const [before, after] = [order[i - 1]!, order[i]!];
    assert.ok(recorder.started.get(after)! >= recorder.completed.get(before)!, `${after} started only after ${before} had rolled out`);
  }
  assert.equal(mesh.status!.revisions, [{ name: 'default', version: NEW, ready: true, inUse: true }]);

  const recorded = await events(inPlace);
  for (const label of ['control plane (istiod)', 'istio-cni', 'ztunnel', 'gateways']) {
    assert.ok(recorded.some((e) => e.reason === 'ComponentApplied' && e.message.includes(`of ${label} (Istio ${NEW})`)), `an Event marks ${label} being applied`);
    assert.ok(recorded.some((e) => e.reason === 'ComponentRolledOut' && e.message === `${label} rolled out (Istio ${NEW})`), `an Event marks ${label} rolled out`);
  }

  // Migration: the new control plane is out, so the injected Deployment is restarted and its pods come back on 1.30.3.
  const pods = await waitFor(() => podsOn(inPlaceNs.app, 'hello', NEW), { timeoutMs: 60_000, description: `hello pods on the ${NEW} proxy` });
  assert.is(pods.length, 2);
  const hello = await client.get<KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } }>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'hello', namespace: inPlaceNs.app } });
  assert.is(hello!.spec.template.metadata.annotations?.[RESTARTED_FOR_ANNOTATION], NEW);
  const migrated = await waitForMesh(inPlace, 'migration complete', (m) => m.status?.migration?.pending === 0 && !m.status.migration.restarting && condition(m, 'Progressing')?.status === 'False');
  assert.equal(migrated.status!.migration, { version: NEW, restarted: 1, pending: 0, lastBatchCompletedAt: migrated.status!.migration!.lastBatchCompletedAt });
  assert.ok((await events(inPlace)).some((e) => e.reason === 'WorkloadsRestarted' && e.message.includes(`Deployment ${inPlaceNs.app}/hello`)));
});

Upgrades('a refused version changes nothing: CEL refuses skews at kubectl, the operator refuses what is not in the catalogue', async () => {
  const before = await getMesh(inPlace);
  // Spec changes bump generation where objects have one; status updates by controllers must not count.
  const owned = async () =>
    (
      await Promise.all(
        OWNED_KINDS.map(async (k) =>
          (await client.list(k.apiVersion, k.kind, `${LABELS.installation}=${inPlace}`)).map(
            (o) => `${k.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name} ${o.metadata?.generation ?? o.metadata?.resourceVersion}`,
          ),
        ),
      )
    )
      .flat()
      .sort();
  const objects = await owned();

  const downgrade = patchSpec(inPlace, { version: '1.28.0' });
  assert.is.not(downgrade.status, 0);
  assert.match(downgrade.stderr, `spec.version 1.28.0 would downgrade Istio ${NEW} by more than one minor version`);
  const jump = patchSpec(inPlace, { version: '1.32.0' });
  assert.is.not(jump.status, 0);
  assert.match(jump.stderr, 'an in-place upgrade moves one minor version at a time');

  // One minor up passes the transition rule, but 1.31.0 is not in the catalogue: the operator refuses it.
  assert.is(patchSpec(inPlace, { version: '1.31.0' }).status, 0);
  const refused = await waitForMesh(inPlace, 'Reconciled=False VersionNotInCatalogue', (m) => condition(m, 'Reconciled')?.reason === 'VersionNotInCatalogue', 30_000);
  assert.match(condition(refused, 'Reconciled')!.message, `Istio 1.31.0 is not in meshloom's catalogue, so nothing was changed; set spec.version to one of: ${NEW}, ${OLD}`);
  assert.is(refused.status!.version, NEW, 'status.version still names the running version');
  assert.equal(condition(refused, 'Ready'), condition(before, 'Ready'), 'the running mesh is still Ready');
  const warning = await waitFor(async () => (await events(inPlace)).find((e) => e.reason === 'VersionNotInCatalogue'), { timeoutMs: 10_000, description: 'a VersionNotInCatalogue Event' });
  assert.is(warning.type, 'Warning');
  await sleep(2_000); // a reconcile that wrongly applied something would have done so by now
  assert.equal(await owned(), objects, 'no owned object changed');

  assert.is(patchSpec(inPlace, { version: NEW }).status, 0);
  await waitForMesh(inPlace, 'Reconciled again', (m) => condition(m, 'Reconciled')?.status === 'True' && readyAt(NEW)(m), 30_000);
});

Upgrades('a step that misses its deadline: Degraded naming it, and nothing after it is rolled', async () => {
  try {
    await missedDeadline();
  } finally {
    await deleteMesh(inPlace);
    kubectl(['delete', 'namespace', inPlaceNs.app, '--wait=false']);
  }
});

async function missedDeadline(): Promise<void> {
  // Back to 1.29.8, with a ztunnel no node can fit: the control plane and istio-cni roll, ztunnel cannot.
  const spec = inPlaceSpec(OLD);
  assert.is(patchSpec(inPlace, { version: OLD, nodeTunnel: { ...spec.nodeTunnel, resources: { requests: { cpu: '100000' } } }, updateStrategy: { ...spec.updateStrategy, progressDeadlineSeconds: 5 } }).status, 0);
  // istio-cni may miss the 5 s too (kwok takes up to 30 s to delete each old pod); it recovers when it is out.
  const degraded = await waitForMesh(
    inPlace,
    'Degraded by ztunnel missing its deadline',
    (m) => condition(m, 'Degraded')?.reason === 'ProgressDeadlineExceeded' && m.status?.rollout?.component === 'ztunnel',
    180_000,
  );
  assert.match(condition(degraded, 'Degraded')!.message, /^ztunnel has not rolled out within 5s/);
  assert.is(degraded.status!.rollout!.component, 'ztunnel');
  assert.is(condition(degraded, 'Progressing')!.status, 'False');
  assert.ok((await events(inPlace)).some((e) => e.reason === 'ProgressDeadlineExceeded' && e.type === 'Warning'));
  const images = async (kind: string, name: string, namespace: string) =>
    ((await client.get<KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }> } } } }>({ apiVersion: 'apps/v1', kind, metadata: { name, namespace } }))!).spec.template.spec.containers.map((c) => c.image);
  assert.equal(await images('Deployment', 'istiod', inPlaceNs.controlPlane), [`docker.io/istio/pilot:${OLD}`], 'the control plane did roll');
  assert.equal(await images('DaemonSet', 'istio-cni-node', inPlaceNs.controlPlane), [`docker.io/istio/install-cni:${OLD}`], 'istio-cni did roll');
  assert.equal(await images('Deployment', 'ingressgateway', inPlaceNs.gateway), [`docker.io/istio/proxyv2:${NEW}`], 'the gateways were not rolled');

  // Fixing the cause lets the rollout finish.
  assert.is(patchSpec(inPlace, { nodeTunnel: spec.nodeTunnel }).status, 0);
  await waitForMesh(inPlace, `Ready at ${OLD}`, readyAt(OLD), 180_000);
  assert.equal(await images('Deployment', 'ingressgateway', inPlaceNs.gateway), [`docker.io/istio/proxyv2:${OLD}`]);
}

// ---- RevisionBased -----------------------------------------------------------------------------------------

const canaryName = uniqueName('canary');
const canaryNs = { controlPlane: uniqueName('istio-rb'), gateway: uniqueName('gw-rb'), tagged: uniqueName('tagged'), pinned: uniqueName('pinned') };

Upgrades('RevisionBased 1.29.8 → 1.30.3: two istiods, injection follows labels and the default tag, the old revision goes after its grace period', async () => {
  try {
    await canary();
  } finally {
    await deleteMesh(canaryName);
    for (const namespace of [canaryNs.tagged, canaryNs.pinned]) kubectl(['delete', 'namespace', namespace, '--wait=false']);
  }
});

async function canary(): Promise<void> {
  const [name, ns] = [canaryName, canaryNs];
  const grace = 10;
  const spec = (version: string): MeshInstallationSpec => ({
    version,
    profile: 'default',
    namespace: ns.controlPlane,
    controlPlane: { replicas: 1, resources: SMALL },
    gateways: [{ name: 'ingressgateway', namespace: ns.gateway, replicas: 1, resources: SMALL, drain: { duration: '1s' }, terminationGracePeriodSeconds: 2, service: { type: 'ClusterIP' } }],
    injection: { enabled: true },
    updateStrategy: { type: 'RevisionBased', inactiveRevisionDeletionGracePeriodSeconds: grace },
  });
  applyMesh(name, spec(OLD));
  await waitForMesh(name, `Ready at ${OLD}`, readyAt(OLD), 120_000);
  await namespace(ns.tagged, { 'istio-injection': 'enabled' });
  await namespace(ns.pinned, { 'istio.io/rev': '1-29-8' });
  app('hello', ns.tagged);
  app('hello', ns.pinned);
  for (const namespace of [ns.tagged, ns.pinned]) await waitFor(() => podsOn(namespace, 'hello', OLD), { timeoutMs: 30_000, description: `hello in ${namespace} on ${OLD}` });

  assert.is(patchSpec(name, { version: NEW }).status, 0);
  const canary = await waitForMesh(name, 'the default tag on 1-30-3', (m) => m.status?.activeRevision === '1-30-3' && readyAt(NEW)(m), 120_000);
  assert.equal(canary.status!.revisions, [
    { name: '1-30-3', version: NEW, ready: true, inUse: true },
    { name: '1-29-8', version: OLD, ready: true, inUse: true, usedBy: `namespace ${ns.pinned}` },
  ]);
  const istiods = (await client.list('apps/v1', 'Deployment', `${LABELS.installation}=${name},app=istiod`)).map((d) => d.metadata!.name).sort();
  assert.equal(istiods, ['istiod-1-29-8', 'istiod-1-30-3'], 'both control planes run during the canary');
  assert.ok((await events(name)).some((e) => e.reason === 'DefaultTagMoved' && e.message.includes('from revision 1-29-8 to 1-30-3')));

  // New pods: the tag sends istio-injection=enabled to the new revision; the pinned namespace keeps the old one.
  app('hello2', ns.tagged);
  app('hello2', ns.pinned);
  await waitFor(() => podsOn(ns.tagged, 'hello2', NEW), { timeoutMs: 30_000, description: `hello2 in ${ns.tagged} on ${NEW}` });
  const pinnedPods = await waitFor(() => podsOn(ns.pinned, 'hello2', OLD), { timeoutMs: 30_000, description: `hello2 in ${ns.pinned} on ${OLD}` });
  assert.is(pinnedPods[0]!.metadata.annotations?.['istio.io/rev'], '1-29-8');

  // Move everything off 1-29-8: relabel the pinned namespace, replace the old pods.
  kubectlOk(['label', 'namespace', ns.pinned, 'istio.io/rev=1-30-3', '--overwrite']);
  for (const namespace of [ns.tagged, ns.pinned]) kubectlOk(['-n', namespace, 'rollout', 'restart', 'deployment/hello', 'deployment/hello2']);
  const unused = await waitForMesh(name, '1-29-8 unused', (m) => m.status?.revisions?.find((r) => r.name === '1-29-8')?.inUse === false, 90_000);
  const inactiveSince = Date.parse(unused.status!.revisions!.find((r) => r.name === '1-29-8')!.inactiveSince!);
  const old = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'istiod-1-29-8', namespace: ns.controlPlane } };

  // Not before the grace period: look while it is still running.
  await sleep(Math.max(0, inactiveSince + (grace * 1000) / 2 - Date.now()));
  assert.ok(Date.now() < inactiveSince + grace * 1000, 'still inside the grace period');
  assert.ok(await client.get(old), 'istiod-1-29-8 is kept during the grace period');

  const gone = await waitFor(async () => ((await client.get(old)) === undefined ? Date.now() : undefined), { timeoutMs: 60_000, description: 'istiod-1-29-8 to be removed' });
  assert.ok(gone >= inactiveSince + grace * 1000, 'removed only after the grace period');
  const after = await waitForMesh(name, 'one revision left', (m) => m.status?.revisions?.length === 1, 30_000);
  assert.equal(after.status!.revisions, [{ name: '1-30-3', version: NEW, ready: true, inUse: true }]);
  const webhooks = (await client.list('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', `${LABELS.installation}=${name}`)).map((w) => w.metadata!.name);
  assert.equal(webhooks, [`meshloom-sidecar-injector-${name}-1-30-3`], "the old revision's injector configuration went with it");
  assert.ok((await events(name)).some((e) => e.reason === 'RevisionRemoved' && e.message.startsWith(`Removed revision 1-29-8 (Istio ${OLD})`)));
}

Upgrades.run();
