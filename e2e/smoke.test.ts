// Smoke suite for the cluster itself, independent of the operator: proves the controllers,
// scheduler, fake kubelets, garbage collector, CEL validation, admission webhooks and audit log the
// operator's e2e tests rely on really work. Everything lives in one namespace per run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AdmissionregistrationV1Api,
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Node,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { e2eTarget, loadKubeConfig, localAuditLogPath, uniqueName, waitFor } from './harness/cluster.js';

const kubeConfig = loadKubeConfig();
const core = kubeConfig.makeApiClient(CoreV1Api);
const apps = kubeConfig.makeApiClient(AppsV1Api);
const apiextensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);

const namespace = uniqueName('smoke');
const crdGroup = `${uniqueName('smoke')}.e2e.meshloom.dev`;
const crdName = `widgets.${crdGroup}`;
const webhookConfigurationName = uniqueName('smoke-pod-annotator');
const READY_TIMEOUT_MS = 60_000;
// kind nodes pull it for real; kwok nodes ignore images.
const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

const isSchedulable = (node: V1Node) => !(node.spec?.taints ?? []).some((taint) => taint.effect === 'NoSchedule');
const isReady = (node: V1Node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function schedulableNodes(): Promise<V1Node[]> {
  return (await core.listNode()).items.filter(isSchedulable);
}

function podTemplate(app: string, extra: Partial<V1PodTemplateSpec['spec']> = {}): V1PodTemplateSpec {
  return {
    metadata: { labels: { app } },
    spec: {
      // Short grace period: kwok deletes terminating pods once their grace period has run out.
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'pause', image: PAUSE_IMAGE, imagePullPolicy: 'IfNotPresent' }],
      ...extra,
    },
  };
}

async function podsOf(app: string) {
  return (await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })).items;
}

async function isNotFound(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return true;
    throw error;
  }
}

test.before(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  // The ServiceAccount admission plugin refuses pods until kube-controller-manager created it.
  await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace }), {
    timeoutMs: READY_TIMEOUT_MS,
    description: `serviceaccount/default in namespace ${namespace}`,
  });
});

test.after(async () => {
  await Promise.allSettled([
    core.deleteNamespace({ name: namespace }),
    apiextensions.deleteCustomResourceDefinition({ name: crdName }),
    admission.deleteMutatingWebhookConfiguration({ name: webhookConfigurationName }),
  ]);
});

test('schedulable nodes are Ready and report kubelet v1.36.1', async () => {
  const nodes = await schedulableNodes();
  assert.ok(nodes.length >= 2, `expected at least 2 schedulable nodes, found ${nodes.length}`);
  for (const node of nodes) {
    assert.ok(isReady(node), `node ${node.metadata?.name} is not Ready`);
    assert.is(node.status?.nodeInfo?.kubeletVersion, 'v1.36.1', `kubelet version of ${node.metadata?.name}`);
    assert.is(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
  }
  if (e2eTarget() === 'local') {
    const zones = new Set(nodes.map((node) => node.metadata?.labels?.['topology.kubernetes.io/zone']));
    assert.is(nodes.length, 3, 'the local cluster registers 3 fake nodes');
    assert.is(zones.size, 3, 'the fake nodes are spread over 3 zones');
  }
});

test('a Deployment spread by hostname gets one Ready pod on every schedulable node', async () => {
  const nodeNames = (await schedulableNodes()).map((node) => node.metadata!.name!);
  const app = 'spread';
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: app },
      spec: {
        replicas: nodeNames.length,
        selector: { matchLabels: { app } },
        template: podTemplate(app, {
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } } },
          ],
        }),
      },
    },
  });
  await waitFor(
    async () => (await apps.readNamespacedDeployment({ name: app, namespace })).status?.readyReplicas === nodeNames.length,
    { timeoutMs: READY_TIMEOUT_MS, description: `deployment/${app} to have ${nodeNames.length} ready replicas` },
  );
  const placed = (await podsOf(app)).map((pod) => pod.spec?.nodeName);
  assert.equal(new Set(placed), new Set(nodeNames), 'one pod per schedulable node');
});

test('a DaemonSet gets one Ready pod per node', async () => {
  const nodeNames = (await schedulableNodes()).map((node) => node.metadata!.name!);
  const app = 'per-node';
  await apps.createNamespacedDaemonSet({
    namespace,
    body: {
      metadata: { name: app },
      spec: { selector: { matchLabels: { app } }, template: podTemplate(app, { nodeSelector: { 'kubernetes.io/os': 'linux' } }) },
    },
  });
  const status = await waitFor(
    async () => {
      const { status } = await apps.readNamespacedDaemonSet({ name: app, namespace });
      return status && status.desiredNumberScheduled === nodeNames.length && status.numberReady === nodeNames.length && status;
    },
    { timeoutMs: READY_TIMEOUT_MS, description: `daemonset/${app} to have ${nodeNames.length} ready pods` },
  );
  assert.is(status.numberReady, nodeNames.length);
  const placed = (await podsOf(app)).map((pod) => pod.spec?.nodeName);
  assert.is(placed.length, nodeNames.length);
  assert.equal(new Set(placed), new Set(nodeNames));
});

test('deleting a Deployment garbage-collects its ReplicaSet and pods', async () => {
  const app = 'collected';
  await apps.createNamespacedDeployment({
    namespace,
    body: { metadata: { name: app }, spec: { replicas: 2, selector: { matchLabels: { app } }, template: podTemplate(app) } },
  });
  const replicaSets = await waitFor(
    async () => {
      const { items } = await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${app}` });
      return items.length === 1 && items[0].status?.readyReplicas === 2 && items;
    },
    { timeoutMs: READY_TIMEOUT_MS, description: `the ReplicaSet of deployment/${app} to have 2 ready pods` },
  );
  const replicaSetName = replicaSets[0].metadata!.name!;
  assert.is(replicaSets[0].metadata?.ownerReferences?.[0]?.name, app, 'the ReplicaSet is owned by the Deployment');

  await apps.deleteNamespacedDeployment({ name: app, namespace, propagationPolicy: 'Background' });
  await waitFor(() => isNotFound(() => apps.readNamespacedReplicaSet({ name: replicaSetName, namespace })), {
    timeoutMs: READY_TIMEOUT_MS,
    description: `replicaset/${replicaSetName} to be garbage-collected`,
  });
  await waitFor(async () => (await podsOf(app)).length === 0, {
    timeoutMs: READY_TIMEOUT_MS,
    description: `the pods of replicaset/${replicaSetName} to be deleted`,
  });
});

test('a CRD with a CEL validation rule rejects an invalid object with the rule message', async () => {
  const ruleMessage = 'minReplicas must not exceed maxReplicas';
  await apiextensions.createCustomResourceDefinition({
    body: {
      metadata: { name: crdName },
      spec: {
        group: crdGroup,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { minReplicas: { type: 'integer' }, maxReplicas: { type: 'integer' } },
                    x_kubernetes_validations: [{ rule: 'self.minReplicas <= self.maxReplicas', message: ruleMessage }],
                  },
                },
              },
            },
          },
        ],
      },
    },
  });
  await waitFor(
    async () => {
      const { status } = await apiextensions.readCustomResourceDefinition({ name: crdName });
      return status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    },
    { timeoutMs: READY_TIMEOUT_MS, description: `customresourcedefinition/${crdName} to be Established` },
  );
  const widget = (name: string, minReplicas: number, maxReplicas: number) => ({
    group: crdGroup,
    version: 'v1',
    namespace,
    plural: 'widgets',
    body: { apiVersion: `${crdGroup}/v1`, kind: 'Widget', metadata: { name }, spec: { minReplicas, maxReplicas } },
  });
  // The first create after Established can still race the discovery of the new type.
  await waitFor(() => customObjects.createNamespacedCustomObject(widget('valid', 1, 3)), {
    timeoutMs: 10_000,
    description: 'a valid Widget to be accepted',
  });

  const rejection = await customObjects.createNamespacedCustomObject(widget('invalid', 5, 3)).then(
    () => assert.unreachable('the invalid Widget was accepted'),
    (error: unknown) => error,
  );
  assert.instance(rejection, ApiException);
  const apiError = rejection as ApiException<unknown>;
  assert.is(apiError.code, 422);
  assert.match(String(apiError.body), ruleMessage);
});

/** A CA and a serving certificate for 127.0.0.1 (IP SAN: the apiserver ignores the CN). */
function webhookCertificates(): { caPem: string; certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'smoke-webhook-'));
  const path = (file: string) => join(dir, file);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=smoke-webhook-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
      '-keyout', path('ca.key'), '-out', path('ca.crt'));
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
      '-keyout', path('tls.key'), '-out', path('tls.csr'));
    writeFileSync(path('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', path('tls.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-set_serial', '1', '-days', '1',
      '-extfile', path('ext.cnf'), '-out', path('tls.crt'));
    return { caPem: readFileSync(path('ca.crt'), 'utf8'), certPem: readFileSync(path('tls.crt'), 'utf8'), keyPem: readFileSync(path('tls.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fields of an audit.k8s.io/v1 Event this suite checks. */
interface AuditEvent {
  level: string;
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; name?: string };
  responseStatus?: { code?: number };
}

interface AdmissionReview {
  request: { uid: string; namespace?: string; object: { metadata?: { annotations?: Record<string, string> } } };
}

const MUTATED_ANNOTATION = 'smoke.meshloom.dev/admission-uid';

/** Answers every pod admission with a JSONPatch that records the request's uid as an annotation. */
function startAnnotatingWebhook(tls: { certPem: string; keyPem: string }, seenUids: string[]): Promise<Server> {
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const review = JSON.parse(body) as AdmissionReview;
      seenUids.push(review.request.uid);
      const hasAnnotations = review.request.object.metadata?.annotations !== undefined;
      const patch = hasAnnotations
        ? [{ op: 'add', path: `/metadata/annotations/${MUTATED_ANNOTATION.replace('/', '~1')}`, value: review.request.uid }]
        : [{ op: 'add', path: '/metadata/annotations', value: { [MUTATED_ANNOTATION]: review.request.uid } }];
      response.setHeader('Content-Type', 'application/json');
      response.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') },
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// The url clientConfig reaches a server on the host only when the apiserver runs on the host too;
// in kind, 127.0.0.1 is the control-plane container itself.
if (e2eTarget() === 'local') {
  test('a mutating webhook on 127.0.0.1 is called on pod create and its JSONPatch is stored', async () => {
    const tls = webhookCertificates();
    const seenUids: string[] = [];
    const server = await startAnnotatingWebhook(tls, seenUids);
    try {
      const { port } = server.address() as AddressInfo;
      await admission.createMutatingWebhookConfiguration({
        body: {
          metadata: { name: webhookConfigurationName },
          webhooks: [
            {
              name: 'pods.smoke.meshloom.dev',
              clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: Buffer.from(tls.caPem).toString('base64') },
              rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
              // Only this run's namespace: never intercept anyone else's pods.
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
              failurePolicy: 'Fail',
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
              timeoutSeconds: 5,
            },
          ],
        },
      });
      const pod = { metadata: { name: 'annotated' }, spec: podTemplate('annotated').spec! };
      // The apiserver picks up new webhook configurations asynchronously; dry runs call webhooks
      // without side effects, so poll with them until the mutation shows.
      await waitFor(
        async () => (await core.createNamespacedPod({ namespace, body: pod, dryRun: 'All' })).metadata?.annotations?.[MUTATED_ANNOTATION],
        { timeoutMs: 20_000, description: 'the webhook configuration to take effect' },
      );
      await core.createNamespacedPod({ namespace, body: pod });
      const stored = await core.readNamespacedPod({ name: 'annotated', namespace });
      const uid = stored.metadata?.annotations?.[MUTATED_ANNOTATION];
      assert.ok(uid, 'the stored pod carries the annotation added by the webhook');
      assert.ok(seenUids.includes(uid), 'the annotation holds the uid of a request this webhook answered');
    } finally {
      // Configuration first: with failurePolicy Fail, pods in the namespace would be refused
      // while it points at a closed server.
      await admission.deleteMutatingWebhookConfiguration({ name: webhookConfigurationName }).catch(() => undefined);
      server.close();
    }
  });

  test('the audit log records this run’s writes at Metadata level', async () => {
    const created = await waitFor(
      () =>
        readFileSync(localAuditLogPath(), 'utf8')
          .split('\n')
          .filter((line) => line.includes(namespace))
          .map((line) => JSON.parse(line) as AuditEvent)
          .find((event) => event.verb === 'create' && event.objectRef?.resource === 'namespaces' && event.objectRef?.name === namespace),
      { timeoutMs: 10_000, description: `the audit event for creating namespace ${namespace}` },
    );
    assert.is(created.level, 'Metadata');
    assert.is(created.stage, 'ResponseComplete');
    assert.is(created.user.username, 'admin');
    assert.is(created.responseStatus?.code, 201);
  });
}

test.run();
