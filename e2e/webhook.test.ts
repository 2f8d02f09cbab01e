// The injection webhook against the real API server: our HTTPS server on 127.0.0.1, registered with the
// injector chart's MutatingWebhookConfiguration (Istio's selector table) through a `url:` clientConfig, and
// assertions on the pods the API server stores. The configuration is narrowed to this run's namespaces with
// an extra namespace label, so nothing else on the cluster is intercepted even while failurePolicy is Fail.
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
} from '@kubernetes/client-node';
import { App } from 'cdk8s';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InjectorChart } from '../cdk8s/charts/injector.js';
import { renderContext } from '../cdk8s/context.js';
import { ANNOTATIONS } from '../operator/api/names.js';
import type { MeshInstallation } from '../operator/api/v1alpha1/index.js';
import type { InjectionSettings } from '../webhooks/admission.js';
import { createCertificateAuthority, issueServingCertificate } from '../webhooks/certificates/authority.js';
import { toCaBundle, trustBundle, type KeyPair } from '../webhooks/certificates/pem.js';
import { webhookSubjectAltNames } from '../webhooks/certificates/self-signed.js';
import type { GracePeriodPolicy } from '../webhooks/drain.js';
import { defaultInjectionConfig } from '../webhooks/inject/index.js';
import { WebhookServer } from '../webhooks/server.js';
import { loadKubeConfig, uniqueName, waitFor } from './harness/cluster.js';
import { kubectlAsync } from './harness/kubectl.js';

const kubeConfig = loadKubeConfig();
const core = kubeConfig.makeApiClient(CoreV1Api);
const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
const logger = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' });

const RUN_LABEL = 'e2e.meshloom.dev/webhook-run';
const run = uniqueName('webhook');
const installation = uniqueName('e2e-webhook');
const namespaces = {
  enabled: `${run}-enabled`,
  disabled: `${run}-disabled`,
  plain: `${run}-plain`,
};
const names = webhookSubjectAltNames('meshloom-webhook', 'meshloom-system');
const validity = () => ({ now: new Date(), days: 30 });
const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

// kubectl, for what users see (warnings, denial messages); asynchronous, because the webhook server runs in
// this process and has to answer the API server while kubectl waits.
const kubectl = kubectlAsync;

let policy: GracePeriodPolicy = 'Adjust';
const resolveSettings = (name: string, revision: string): InjectionSettings | undefined =>
  name === installation && revision === 'default'
    ? { config: defaultInjectionConfig(), drain: { policy, defaultDrain: '5s' } }
    : undefined;

let authority: KeyPair;
let server: WebhookServer;
let port: number;
let configurationName: string;

async function startServer(tls: KeyPair, listenPort: number): Promise<void> {
  server = new WebhookServer({ tls, resolveSettings, registry: new Registry(), logger });
  port = (await server.listen(listenPort, '127.0.0.1')).port;
}

/** The injector chart's configuration for this installation, limited to this run's namespaces. */
function webhookConfiguration(caBundle: string): V1MutatingWebhookConfiguration {
  const mesh = { apiVersion: 'mesh.meshloom.dev/v1alpha1', kind: 'MeshInstallation', metadata: { name: installation }, spec: { version: '1.30.3' } };
  const chart = new InjectorChart(new App(), 'injector', {}, renderContext(mesh as MeshInstallation), {
    operatorNamespace: 'meshloom-system',
    injector: { clientConfig: { url: `https://127.0.0.1:${port}` }, caBundle, failurePolicy: 'Fail' },
  });
  const [configuration] = chart.toJson() as V1MutatingWebhookConfiguration[];
  for (const webhook of configuration.webhooks ?? []) {
    webhook.namespaceSelector?.matchExpressions?.push({ key: RUN_LABEL, operator: 'In', values: [run] });
  }
  return configuration;
}

function pod(name: string, options: { labels?: Record<string, string>; annotations?: Record<string, string>; grace?: number; hostNetwork?: boolean } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name, ...options.labels }, annotations: options.annotations },
    spec: {
      terminationGracePeriodSeconds: options.grace ?? 2,
      hostNetwork: options.hostNetwork,
      containers: [{ name: 'app', image: PAUSE_IMAGE, ports: [{ containerPort: 8080 }] }],
    },
  };
}

async function create(namespace: string, body: V1Pod): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace, body });
}

const hasProxy = (p: V1Pod) =>
  [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].some((c) => c.name === 'istio-proxy');

test.before(async () => {
  authority = await createCertificateAuthority('e2e-webhook-ca', validity());
  await startServer(await issueServingCertificate(authority, names, validity()), 0);
  const labels = {
    enabled: { 'istio-injection': 'enabled' },
    disabled: { 'istio-injection': 'disabled' },
    plain: {},
  };
  for (const [key, name] of Object.entries(namespaces) as Array<[keyof typeof namespaces, string]>) {
    await core.createNamespace({ body: { metadata: { name, labels: { [RUN_LABEL]: run, ...labels[key] } } } });
    // The ServiceAccount admission plugin refuses pods until kube-controller-manager created it.
    await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), {
      timeoutMs: 30_000,
      description: `serviceaccount/default in namespace ${name}`,
    });
  }
  const configuration = await admission.createMutatingWebhookConfiguration({
    body: webhookConfiguration(toCaBundle(authority.cert)),
  });
  configurationName = configuration.metadata!.name!;
  // The API server picks configurations up through an informer: wait until a dry-run pod comes back injected.
  await waitFor(
    async () => hasProxy(await core.createNamespacedPod({ namespace: namespaces.enabled, body: pod('probe'), dryRun: 'All' })),
    { timeoutMs: 30_000, description: 'the webhook configuration to take effect' },
  );
});

test.after(async () => {
  await admission.deleteMutatingWebhookConfiguration({ name: configurationName }).catch(() => undefined);
  await server?.close();
  await Promise.all(Object.values(namespaces).map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

test('a pod in an istio-injection=enabled namespace is stored with the sidecar', async () => {
  const stored = await create(namespaces.enabled, pod('injected'));
  assert.ok(hasProxy(stored), 'istio-proxy container');
  assert.ok(stored.metadata?.annotations?.['sidecar.istio.io/status'], 'status annotation');
});

test('not injected: pod label inject=false, namespace istio-injection=disabled, hostNetwork, unlabelled namespace', async () => {
  const optedOut = await create(namespaces.enabled, pod('opted-out', { labels: { 'sidecar.istio.io/inject': 'false' } }));
  const disabled = await create(namespaces.disabled, pod('disabled', { labels: { 'sidecar.istio.io/inject': 'true' } }));
  const hostNetwork = await create(namespaces.enabled, pod('host-network', { hostNetwork: true }));
  const plain = await create(namespaces.plain, pod('plain'));
  for (const stored of [optedOut, disabled, hostNetwork, plain]) assert.not.ok(hasProxy(stored), stored.metadata?.name);
});

const drain45s = { 'proxy.istio.io/config': 'terminationDrainDuration: 45s' };

test('drain Adjust: grace raised on the stored pod, annotation set, warning shown to kubectl', async () => {
  policy = 'Adjust';
  const manifest = pod('drain-adjusted', { annotations: drain45s, grace: 30 });
  const result = await kubectl(['create', '-n', namespaces.enabled, '-o', 'json', '-f', '-'], JSON.stringify(manifest));
  assert.is(result.status, 0, result.stderr);
  const stored = JSON.parse(result.stdout) as V1Pod;
  assert.is(stored.spec?.terminationGracePeriodSeconds, 50);
  assert.is(stored.metadata?.annotations?.[ANNOTATIONS.gracePeriodAdjusted], '30s->50s: terminationDrainDuration 45s');
  assert.match(result.stderr, /Warning: .*terminationGracePeriodSeconds from 30 to 50/);
});

test('drain Reject: creation denied with both values and the fix', async () => {
  policy = 'Reject';
  try {
    const manifest = pod('drain-rejected', { annotations: drain45s, grace: 30 });
    const result = await kubectl(['create', '-n', namespaces.enabled, '-f', '-'], JSON.stringify(manifest));
    assert.is.not(result.status, 0, result.stdout);
    assert.match(result.stderr, 'denied the request', result.stderr);
    assert.match(result.stderr, 'terminationGracePeriodSeconds 30', result.stderr);
    assert.match(result.stderr, 'terminationDrainDuration 45s', result.stderr);
    assert.match(result.stderr, 'at least 50', result.stderr);
  } finally {
    policy = 'Adjust';
  }
});

test("an invalid traffic annotation is denied with the injector's message", async () => {
  const manifest = pod('bad-annotation', { annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': 'eighty' } });
  const result = await kubectl(['create', '-n', namespaces.enabled, '-f', '-'], JSON.stringify(manifest));
  assert.is.not(result.status, 0, result.stdout);
  assert.match(result.stderr, 'denied the request', result.stderr);
  assert.match(result.stderr, 'includeInboundPorts', result.stderr);
});

test('certificate rotations while pods are created in a loop fail no creation', async () => {
  const errors: string[] = [];
  let created = 0;
  let stop = false;
  const loop = async (worker: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const stored = await create(namespaces.enabled, pod(`rotation-${worker}-${i}`));
        if (!hasProxy(stored)) errors.push(`rotation-${worker}-${i} not injected`);
        created++;
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  const workers = [loop(0), loop(1), loop(2)];
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    await pause(1_000);
    // A serving-certificate rotation: same CA, new key and certificate.
    server.reload(await issueServingCertificate(authority, names, validity()));
    await pause(1_000);
    // A CA rotation, in the order SelfSignedCertificates uses: trust both CAs first, then serve from the new one.
    const next = await createCertificateAuthority('e2e-webhook-ca-2', validity());
    const overlap = toCaBundle(trustBundle([next.cert, authority.cert], new Date()));
    const configuration = await admission.readMutatingWebhookConfiguration({ name: configurationName });
    for (const webhook of configuration.webhooks ?? []) webhook.clientConfig.caBundle = overlap;
    await admission.replaceMutatingWebhookConfiguration({ name: configurationName, body: configuration });
    // The API server reloads webhook configurations through an informer; give it time before switching.
    await pause(2_000);
    server.reload(await issueServingCertificate(next, names, validity()));
    authority = next;
    await pause(1_500);
  } finally {
    stop = true;
    await Promise.all(workers);
  }
  assert.equal(errors, []);
  assert.ok(created >= 10, `only ${created} pods were created`);
});

test('with the server stopped and failurePolicy Fail, labelled namespaces refuse pods; others are unaffected', async () => {
  await server.close();
  const refused = await kubectl(['create', '-n', namespaces.enabled, '-f', '-'], JSON.stringify(pod('while-down')));
  assert.is.not(refused.status, 0);
  assert.match(refused.stderr, /failed calling webhook .*sidecar-injector\.meshloom\.dev/);
  assert.match(refused.stderr, /connection refused|connect:/);
  const plain = await create(namespaces.plain, pod('while-down'));
  assert.not.ok(hasProxy(plain));
});

test.run();
