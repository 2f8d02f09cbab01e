// The MeshInstallation reconciler against the real local API server: install, readiness, drift repair,
// zero writes at steady state (from the audit log), ownership conflicts, and deletion.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, stringify } from 'yaml';
import { GROUP, LABELS, PLURAL, VERSION } from '../operator/api/names.js';
import { KubeClient, type KubeObject } from '../operator/runtime/kube.js';
import { OWNED_KINDS } from '../operator/runtime/kinds.js';
import { describeRequest, writeRequests } from './harness/audit.js';
import { kubeconfigPath, loadKubeConfig, REPO_ROOT, uniqueName, waitFor } from './harness/cluster.js';
import { kubectl, kubectlOk } from './harness/kubectl.js';
import { applyCrds, OPERATOR_NAMESPACE, operatorKubeconfig, OPERATOR_USERNAME, startOperator, type RunningOperator } from './harness/operator.js';

type Condition = { type: string; status: string; reason: string; message: string };
type Mesh = KubeObject & {
  metadata: { name: string; finalizers?: string[] };
  spec: Record<string, unknown> & { namespace?: string };
  status?: {
    version?: string;
    components?: { controlPlane?: { desired?: number; ready?: number; version?: string }; nodeTunnel?: { desired?: number; ready?: number }; gateways?: Array<{ name: string; desired?: number; ready?: number }> };
    conditions?: Condition[];
  };
};

const kubeConfig = loadKubeConfig();
const client = new KubeClient(kubeConfig);
let operator: RunningOperator;

function example(file: string, overrides: { name?: string; spec?: Record<string, unknown> } = {}): Mesh {
  const mesh = parse(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8')) as Mesh;
  if (overrides.name) mesh.metadata.name = overrides.name;
  Object.assign(mesh.spec, overrides.spec ?? {});
  return mesh;
}

function kubectlApply(mesh: Mesh): void {
  kubectlOk(['apply', '-f', '-'], stringify(mesh));
}

async function getMesh(name: string): Promise<Mesh | undefined> {
  return client.getClusterObject<Mesh>(GROUP, VERSION, PLURAL, name);
}

function condition(mesh: Mesh | undefined, type: string): Condition | undefined {
  return mesh?.status?.conditions?.find((c) => c.type === type);
}

async function waitForCondition(name: string, type: string, status: string, timeoutMs: number, reason?: string): Promise<Mesh> {
  return waitFor(
    async () => {
      const mesh = await getMesh(name);
      const c = condition(mesh, type);
      return c?.status === status && (!reason || c.reason === reason) ? mesh : undefined;
    },
    { timeoutMs, intervalMs: 200, description: `MeshInstallation ${name} ${type}=${status}${reason ? ` (${reason})` : ''}` },
  );
}

/** Every object, of every kind meshloom manages, labelled for the installation. */
async function ownedObjects(name: string): Promise<string[]> {
  const lists = await Promise.all(
    OWNED_KINDS.map(async (kind) =>
      (await client.list(kind.apiVersion, kind.kind, `${LABELS.installation}=${name}`))
        .filter((o) => !o.metadata?.deletionTimestamp)
        .map((o) => `${kind.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`),
    ),
  );
  return lists.flat().filter((o) => !o.startsWith('CustomResourceDefinition'));
}

async function deleteMesh(name: string, timeoutMs = 30_000): Promise<void> {
  kubectl(['delete', 'meshinstallation', name, '--wait=false', '--ignore-not-found']);
  await waitFor(async () => !(await getMesh(name)), { timeoutMs, description: `MeshInstallation ${name} to be gone (finalizer released)` });
  await waitFor(async () => (await ownedObjects(name)).length === 0, { timeoutMs, description: `every object of ${name} to be deleted` });
}

async function deployment(namespace: string, name: string): Promise<KubeObject | undefined> {
  return client.get({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace } });
}

function images(workload: KubeObject | undefined): string[] {
  const spec = workload?.spec as { template: { spec: { containers: Array<{ image: string }> } } } | undefined;
  return spec?.template.spec.containers.map((c) => c.image) ?? [];
}

const Install = suite('MeshInstallation default profile');

Install.before(async () => {
  await applyCrds(kubeConfig);
  operator = await startOperator(await operatorKubeconfig(kubeConfig));
});

Install.after(async () => {
  await deleteMesh('default').catch(() => undefined);
  assert.is(await operator.stop(), 0, 'the operator exits 0 on SIGTERM');
});

Install('kubectl apply of examples/mesh-default.yaml is Ready within 30 s with the 1.30.3 images', async () => {
  const started = Date.now();
  kubectlApply(example('mesh-default.yaml'));
  const mesh = await waitForCondition('default', 'Ready', 'True', 30_000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 30_000, `Ready after ${elapsed} ms`);
  const { controlPlane, gateways } = mesh.status!.components!;
  assert.ok(controlPlane!.desired! > 0);
  assert.is(controlPlane!.ready, controlPlane!.desired);
  assert.is(controlPlane!.version, '1.30.3');
  assert.ok(gateways!.length > 0);
  for (const g of gateways!) assert.is(g.ready, g.desired, `gateway ${g.name} ready`);
  assert.is(mesh.status!.version, '1.30.3');
  assert.equal(images(await deployment('istio-system', 'istiod')), ['docker.io/istio/pilot:1.30.3']);
  assert.equal(images(await deployment('istio-ingress', 'ingressgateway')), ['docker.io/istio/proxyv2:1.30.3']);
  for (const type of ['Reconciled', 'Progressing', 'Degraded', 'DrainSafe']) assert.ok(condition(mesh, type), `condition ${type} is reported`);
  assert.is(condition(mesh, 'Progressing')!.status, 'False');
  assert.is(condition(mesh, 'Degraded')!.status, 'False');
  assert.is(condition(mesh, 'DrainSafe')!.status, 'True');
  assert.ok(mesh.metadata.finalizers?.includes(`${GROUP}/cleanup`), 'the cleanup finalizer is set');
  const printed = kubectlOk(['get', 'mesh', 'default']);
  assert.match(printed, /VERSION\s+REVISION\s+READY\s+AGE/);
  assert.match(printed, /default\s+1\.30\.3\s+default\s+True/);
});

Install('the operator makes zero write requests during 60 s of steady state (audit log)', async () => {
  await sleep(2_000); // let the last status write after Ready land before the window opens
  const since = new Date();
  await sleep(60_000);
  const writes = writeRequests(OPERATOR_USERNAME, since);
  assert.equal(writes.map(describeRequest), [], 'no create/update/patch/delete by the operator');
});

Install('a hand-edited istiod image is reverted within 10 s', async () => {
  kubectlOk(['-n', 'istio-system', 'set', 'image', 'deployment/istiod', 'discovery=docker.io/istio/pilot:1.29.0']);
  await waitFor(async () => images(await deployment('istio-system', 'istiod'))[0] === 'docker.io/istio/pilot:1.30.3', {
    timeoutMs: 10_000,
    description: 'istiod image to be restored to 1.30.3',
  });
});

Install('a Deployment in an istio-injection=enabled namespace gets istio-proxy as a native sidecar', async () => {
  const namespace = uniqueName('shop');
  kubectlOk(['create', 'namespace', namespace]);
  kubectlOk(['label', 'namespace', namespace, 'istio-injection=enabled']);
  kubectlOk(['-n', namespace, 'apply', '-f', join(REPO_ROOT, 'examples', 'sample-app.yaml')]);
  const pod = await waitFor(
    async () => (await client.core.listNamespacedPod({ namespace, labelSelector: 'app=hello' })).items[0],
    { timeoutMs: 20_000, description: 'the sample pod' },
  );
  const proxy = pod.spec!.initContainers?.find((c) => c.name === 'istio-proxy');
  assert.ok(proxy, 'istio-proxy is an init container (native sidecar: the nodes run kubelet 1.36)');
  assert.is(proxy!.restartPolicy, 'Always');
  assert.is(proxy!.image, 'docker.io/istio/proxyv2:1.30.3');
  assert.equal(pod.spec!.containers.map((c) => c.name), ['hello']);
  kubectlOk(['delete', 'namespace', namespace, '--wait=false']);
});

function meshloomCheck(): { status: number; output: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'operator', 'cli', 'meshloom.ts'), 'check', '--name', 'default'], {
    env: { ...process.env, KUBECONFIG: kubeconfigPath() },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

Install('meshloom check passes on the healthy installation', () => {
  const { status, output } = meshloomCheck();
  assert.is(status, 0, output);
  assert.match(output, /All checks passed/);
});

Install('meshloom check fails, naming the problem, when istiod is scaled to zero', async () => {
  assert.is(await operator.stop(), 0);
  kubectlOk(['-n', 'istio-system', 'scale', 'deployment/istiod', '--replicas=0']);
  await waitFor(async () => ((await deployment('istio-system', 'istiod'))?.status as { readyReplicas?: number })?.readyReplicas === undefined, {
    timeoutMs: 20_000,
    description: 'istiod to have no ready replica',
  });
  const { status, output } = meshloomCheck();
  assert.is(status, 1, output);
  assert.match(output, /✘ default\/controlPlane istio-system\/istiod: .*scaled to zero/);
});

Install('meshloom check fails when the webhook certificate expires within 30 days', async () => {
  // A fresh serving certificate valid for 20 days: not yet due for rotation, but inside check's 30-day window.
  kubectlOk(['-n', OPERATOR_NAMESPACE, 'delete', 'secret', 'meshloom-webhook-tls']);
  operator = await startOperator(await operatorKubeconfig(kubeConfig), ['--webhook-cert-validity-days=20']);
  await waitForCondition('default', 'Ready', 'True', 30_000);
  const { status, output } = meshloomCheck();
  assert.is(status, 1, output);
  assert.match(output, /✘ default\/webhook-certificate: serving certificate expires in 1\d days/);
  assert.is(await operator.stop(), 0);
  kubectlOk(['-n', OPERATOR_NAMESPACE, 'delete', 'secret', 'meshloom-webhook-tls']);
  operator = await startOperator(await operatorKubeconfig(kubeConfig));
});

Install('deleting the MeshInstallation removes everything it created within 30 s', async () => {
  assert.ok((await ownedObjects('default')).length > 10);
  const istioCrds = `${LABELS.managedBy}=meshloom,${LABELS.component}=crds`;
  const crds = await client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition', istioCrds);
  await deleteMesh('default');
  assert.ok(crds.length > 0, 'Istio CRDs were installed');
  const left = await client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition', istioCrds);
  assert.is(left.length, crds.length, 'Istio CRDs (user data) are left in place');
  const mwcs = await client.list('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', `${LABELS.installation}=default`);
  assert.is(mwcs.length, 0, 'the webhook configuration is gone');
});

Install.run();

const Ambient = suite('MeshInstallation ambient profile');

Ambient.before(async () => {
  operator = await startOperator(await operatorKubeconfig(kubeConfig));
});

Ambient.after(async () => {
  assert.is(await operator.stop(), 0);
});

Ambient('ztunnel and istio-cni run one ready pod per node, and a deleted ztunnel DaemonSet comes back within 10 s', async () => {
  const name = uniqueName('ambient');
  const namespace = uniqueName('istio-amb');
  kubectlApply(example('mesh-ambient.yaml', { name, spec: { namespace } }));
  const mesh = await waitForCondition(name, 'Ready', 'True', 30_000);
  const nodes = (await client.core.listNode()).items.length;
  assert.equal(mesh.status!.components!.nodeTunnel, { desired: nodes, ready: nodes });
  const daemonSets = await client.list<KubeObject>('apps/v1', 'DaemonSet', `${LABELS.installation}=${name}`);
  assert.equal(daemonSets.map((d) => d.metadata!.name).sort(), ['istio-cni-node', 'ztunnel']);
  for (const ds of daemonSets) assert.is((ds.status as { numberReady: number }).numberReady, nodes, `${ds.metadata!.name} ready on every node`);

  kubectlOk(['-n', namespace, 'delete', 'daemonset', 'ztunnel', '--wait=false']);
  await waitFor(
    async () => {
      const ds = await client.get({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ztunnel', namespace } });
      return ds && !ds.metadata?.deletionTimestamp;
    },
    { timeoutMs: 10_000, description: 'the ztunnel DaemonSet to be recreated' },
  );
  await deleteMesh(name);
});

Ambient('an object it does not own stops the reconcile with OwnershipConflict and nothing is written', async () => {
  const name = uniqueName('conflict');
  const namespace = uniqueName('istio-conflict');
  kubectlOk(['create', 'namespace', namespace]);
  kubectlOk(['-n', namespace, 'create', 'configmap', 'istio', '--from-literal=mesh=mine']);
  kubectlApply(example('mesh-default.yaml', { name, spec: { namespace, profile: 'minimal' } }));
  const mesh = await waitForCondition(name, 'Reconciled', 'False', 15_000, 'OwnershipConflict');
  assert.match(condition(mesh, 'Reconciled')!.message, /ConfigMap .*istio/);
  const cm = await client.get<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace } });
  assert.equal(cm!.data, { mesh: 'mine' }, 'the user ConfigMap is untouched');
  assert.is(await deployment(namespace, 'istiod'), undefined, 'nothing was applied');
  const events = kubectlOk(['get', 'events', '-n', 'default', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={.items[*].reason}']);
  assert.match(events, /OwnershipConflict/);
  await deleteMesh(name);
  kubectlOk(['delete', 'namespace', namespace, '--wait=false']);
});

Ambient('deletion finishes within 30 s even when istiod never became ready', async () => {
  const name = uniqueName('stuck');
  const namespace = uniqueName('istio-stuck');
  // A request no fake node can satisfy keeps istiod Pending forever.
  kubectlApply(example('mesh-default.yaml', { name, spec: { namespace, profile: 'minimal', controlPlane: { replicas: 1, resources: { requests: { cpu: '100000' } } } } }));
  await waitForCondition(name, 'Progressing', 'True', 15_000);
  assert.is(condition(await getMesh(name), 'Ready')!.status, 'False');
  await deleteMesh(name);
});

Ambient.run();
