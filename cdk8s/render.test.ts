import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { catalogueEntry, imageRef, ISTIO_IMAGES, supportedVersions } from '../operator/api/catalogue.js';
import { durationSeconds } from '../operator/api/duration.js';
import { API_VERSION, KIND, LABELS, MANAGED_BY } from '../operator/api/names.js';
import type { MeshInstallation, MeshInstallationSpec } from '../operator/api/v1alpha1/index.js';
import {
  RENDER_ORDER,
  renderedObjects,
  renderMeshInstallation,
  type KubeObject,
  type RenderEnvironment,
  type RenderedComponent,
} from './render.js';

const ENV: RenderEnvironment = {
  operatorNamespace: 'meshloom-system',
  injector: { clientConfig: { url: 'https://127.0.0.1:9443/' }, failurePolicy: 'Fail' },
};

function mesh(spec: Partial<MeshInstallationSpec> = {}, uid: string | null = 'uid-1'): MeshInstallation {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'main', uid: uid ?? undefined },
    spec: { version: '1.30.3', ...spec },
  };
}

const render = (spec?: Partial<MeshInstallationSpec>, env = ENV) => renderMeshInstallation(mesh(spec), env);
const all = (spec?: Partial<MeshInstallationSpec>) => renderedObjects(render(spec));
const ofKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);

type PodSpec = { containers: Container[]; initContainers?: Container[]; terminationGracePeriodSeconds?: number };
type Container = { name: string; image: string; readinessProbe?: unknown; resources?: { requests?: object }; securityContext?: object; env?: { name: string; value?: string }[] };
type Workload = KubeObject & {
  spec: { replicas?: number; template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } };
};
const workloads = (objects: KubeObject[]) =>
  objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet') as Workload[];
const containers = (objects: KubeObject[]) =>
  workloads(objects).flatMap((w) => [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])]);

/** Every profile and switch at once, so invariants see every kind of object. */
const EVERYTHING: Partial<MeshInstallationSpec> = {
  profile: 'demo',
  nodeTunnel: { enabled: true },
  controlPlane: { replicas: 2 },
  meshConfig: { mtls: 'STRICT' },
};

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

test('components come in apply order, each listed even when it renders nothing', () => {
  assert.equal(
    render({ profile: 'minimal' }).map((c) => c.component),
    [...RENDER_ORDER],
  );
  const empty = render({ profile: 'minimal' }).filter((c) => c.objects.length === 0).map((c) => c.component);
  assert.equal(empty, ['cni', 'ztunnel', 'gateways', 'injector']);
});

test('every object carries the meshloom labels of its component', () => {
  for (const { component, objects } of render(EVERYTHING)) {
    for (const object of objects) {
      const labels = object.metadata.labels ?? {};
      const where = `${object.kind}/${object.metadata.name}`;
      assert.is(labels[LABELS.managedBy], MANAGED_BY, where);
      // Istio's CRDs are shared by every installation, so they name none.
      assert.is(labels[LABELS.installation], component === 'crds' ? undefined : 'main', where);
      assert.is(labels[LABELS.component], component, where);
      if (['controlPlane', 'gateways', 'injector'].includes(component)) assert.is(labels[LABELS.revision], 'default', where);
    }
  }
});

test('everything but namespaces and Istio CRDs (user data) is owned by the MeshInstallation when it has a uid', () => {
  for (const { component, objects } of render(EVERYTHING)) {
    for (const object of objects) {
      const owners = object.metadata.ownerReferences;
      if (component === 'namespaces' || component === 'crds') assert.is(owners, undefined, `${object.kind}/${object.metadata.name}`);
      else assert.equal(owners, [{ apiVersion: API_VERSION, kind: KIND, name: 'main', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
    }
  }
  const offline = renderedObjects(renderMeshInstallation(mesh(EVERYTHING, null), ENV));
  assert.ok(offline.every((o) => o.metadata.ownerReferences === undefined));
});

test('cluster-scoped objects carry no namespace; namespaced ones always do', () => {
  for (const object of all(EVERYTHING)) {
    const where = `${object.kind}/${object.metadata.name}`;
    if (CLUSTER_SCOPED.has(object.kind)) assert.is(object.metadata.namespace, undefined, where);
    else assert.type(object.metadata.namespace, 'string', where);
  }
});

for (const version of supportedVersions()) {
  test(`every container runs the catalogue's image for ${version}, default hub or spec.hub`, () => {
    const entry = catalogueEntry(version);
    const expected = new Set(ISTIO_IMAGES.map((image) => imageRef(entry, image)));
    const images = new Set(containers(all({ ...EVERYTHING, version })).map((c) => c.image));
    assert.equal([...images].sort(), [...expected].sort());

    const mirrored = containers(all({ ...EVERYTHING, version, hub: 'registry.example.com/istio' }));
    for (const { image } of mirrored) assert.ok(image.startsWith('registry.example.com/istio/') && image.endsWith(`:${entry.tag}`), image);
  });
}

test('every container has a readiness probe, resource requests and a securityContext', () => {
  const list = containers(all(EVERYTHING));
  assert.ok(list.length >= 5);
  for (const container of list) {
    assert.ok(container.readinessProbe, `${container.name} probe`);
    assert.ok(container.resources?.requests && Object.keys(container.resources.requests).length > 0, `${container.name} requests`);
    assert.ok(container.securityContext, `${container.name} securityContext`);
  }
});

test('a PodDisruptionBudget exists only for workloads that can run more than one replica', () => {
  const pdbs = (spec: Partial<MeshInstallationSpec>) => ofKind(all(spec), 'PodDisruptionBudget').map((o) => o.metadata.name).sort();
  assert.equal(pdbs({ controlPlane: { replicas: 1 } }), []);
  assert.equal(pdbs({ controlPlane: { replicas: 2 } }), ['istiod']);
  assert.equal(pdbs({ controlPlane: { autoscaling: { minReplicas: 1, maxReplicas: 5 } } }), []);
  assert.equal(pdbs({ controlPlane: { autoscaling: { minReplicas: 2, maxReplicas: 5 } } }), ['istiod']);
  assert.equal(pdbs({ gateways: [{ name: 'gw', replicas: 3 }] }), ['gw']);
});

test('a HorizontalPodAutoscaler exists only when autoscaling is set, and then owns the replica count', () => {
  assert.equal(ofKind(all(), 'HorizontalPodAutoscaler'), []);
  const objects = all({ controlPlane: { autoscaling: { maxReplicas: 5 } }, gateways: [{ name: 'gw', autoscaling: { minReplicas: 2, maxReplicas: 4 } }] });
  const hpas = ofKind(objects, 'HorizontalPodAutoscaler') as (KubeObject & { spec: { minReplicas: number; maxReplicas: number } })[];
  assert.equal(hpas.map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas]), [
    ['istiod', 1, 5],
    ['gw', 2, 4],
  ]);
  for (const deployment of ofKind(objects, 'Deployment') as Workload[]) assert.is(deployment.spec.replicas, undefined);
});

test('every gateway pod gets more grace than its proxy drains', () => {
  const objects = all({
    gateways: [
      { name: 'a' },
      { name: 'b', drain: { duration: '600s', exitOnZeroActiveConnections: true }, terminationGracePeriodSeconds: 660 },
      { name: 'c', drain: { duration: '1m30s' } },
    ],
  });
  const gateways = ofKind(objects, 'Deployment').filter((o) => o.metadata.name !== 'istiod') as Workload[];
  assert.is(gateways.length, 3);
  for (const gateway of gateways) {
    const config = parse(gateway.spec.template.metadata.annotations!['proxy.istio.io/config']) as { terminationDrainDuration: string };
    const grace = gateway.spec.template.spec.terminationGracePeriodSeconds!;
    assert.ok(grace > durationSeconds(config.terminationDrainDuration), `${gateway.metadata.name}: ${grace}s`);
  }
  const env = gateways[1].spec.template.spec.containers[0].env!;
  assert.equal(env.filter((e) => e.name.includes('DRAIN') || e.name.startsWith('EXIT')).map((e) => [e.name, e.value]), [
    ['EXIT_ON_ZERO_ACTIVE_CONNECTIONS', 'true'],
    ['MINIMUM_DRAIN_DURATION', '5s'],
  ]);
});

test('proxyProtocol sets gatewayTopology.proxyProtocol on that gateway only', () => {
  const objects = all({ gateways: [{ name: 'edge', proxyProtocol: true }, { name: 'plain' }] });
  const topology = (name: string) => {
    const deployment = ofKind(objects, 'Deployment').find((o) => o.metadata.name === name) as Workload;
    return (parse(deployment.spec.template.metadata.annotations!['proxy.istio.io/config']) as { gatewayTopology?: unknown }).gatewayTopology;
  };
  assert.equal(topology('edge'), { proxyProtocol: {} });
  assert.is(topology('plain'), undefined);
});

test('each profile renders what PRODUCT.md says', () => {
  const kinds = (components: RenderedComponent[]) =>
    Object.fromEntries(components.map((c) => [c.component, c.objects.map((o) => `${o.kind}/${o.metadata.name}`)]));
  const byProfile = {
    default: kinds(render({ profile: 'default' })),
    ambient: kinds(render({ profile: 'ambient' })),
    minimal: kinds(render({ profile: 'minimal' })),
    demo: kinds(render({ profile: 'demo' })),
  };
  assert.ok(byProfile.default.gateways.includes('Deployment/ingressgateway'));
  assert.ok(byProfile.default.injector.includes('MutatingWebhookConfiguration/meshloom-sidecar-injector-main-default'));
  assert.equal(byProfile.default.ztunnel, []);
  assert.ok(byProfile.ambient.ztunnel.includes('DaemonSet/ztunnel'));
  assert.ok(byProfile.ambient.cni.includes('DaemonSet/istio-cni-node'));
  assert.equal([byProfile.ambient.gateways, byProfile.ambient.injector], [[], []]);
  assert.equal([byProfile.minimal.gateways, byProfile.minimal.injector, byProfile.minimal.ztunnel], [[], [], []]);
  assert.ok(byProfile.demo.gateways.includes('Deployment/ingressgateway') && byProfile.demo.gateways.includes('Deployment/egressgateway'));
  assert.equal(byProfile.demo.namespaces, ['Namespace/istio-egress', 'Namespace/istio-ingress', 'Namespace/istio-system']);

  const mesh = (spec: Partial<MeshInstallationSpec>) =>
    parse((ofKind(all(spec), 'ConfigMap').find((o) => o.metadata.name === 'istio') as KubeObject & { data: { mesh: string } }).data.mesh);
  assert.is(mesh({ profile: 'demo' }).accessLogFile, '/dev/stdout');
  assert.is(mesh({ profile: 'demo', meshConfig: { accessLogging: false } }).accessLogFile, undefined);

  const istiodEnv = (spec: Partial<MeshInstallationSpec>) =>
    (ofKind(all(spec), 'Deployment').find((o) => o.metadata.name === 'istiod') as Workload).spec.template.spec.containers[0].env!.map((e) => e.name);
  assert.ok(istiodEnv({ profile: 'ambient' }).includes('PILOT_ENABLE_AMBIENT'));
  assert.not.ok(istiodEnv({ profile: 'default' }).includes('PILOT_ENABLE_AMBIENT'));
});

test('RevisionBased names the control plane after the version and the webhook also carries the default tag', () => {
  const objects = all({ updateStrategy: { type: 'RevisionBased' } });
  assert.ok(ofKind(objects, 'Deployment').some((o) => o.metadata.name === 'istiod-1-30-3'));
  const [webhook] = ofKind(objects, 'MutatingWebhookConfiguration') as (KubeObject & {
    webhooks: { name: string; clientConfig: { url: string }; namespaceSelector: { matchExpressions: { key: string; values?: string[] }[] } }[];
  })[];
  assert.is(webhook.metadata.name, 'meshloom-sidecar-injector-main-1-30-3');
  assert.is(webhook.webhooks[0].clientConfig.url, 'https://127.0.0.1:9443/inject/main/1-30-3');
  assert.equal(webhook.webhooks[0].namespaceSelector.matchExpressions.find((e) => e.key === LABELS.revision)?.values, ['1-30-3', 'default']);
  const gateway = ofKind(objects, 'Deployment').find((o) => o.metadata.name === 'ingressgateway') as Workload;
  assert.match(gateway.spec.template.metadata.annotations!['proxy.istio.io/config'], 'istiod-1-30-3.istio-system.svc:15012');
});

test("the injection webhook follows Istio's selector table, excludes system and operator namespaces, and takes env's settings", () => {
  const service: RenderEnvironment = {
    operatorNamespace: 'ops',
    injector: { clientConfig: { service: { name: 'meshloom-webhook', namespace: 'ops', port: 443 } }, caBundle: 'Q0E=', failurePolicy: 'Ignore' },
  };
  const [webhook] = ofKind(renderedObjects(render({}, service)), 'MutatingWebhookConfiguration') as (KubeObject & { webhooks: Record<string, unknown>[] })[];
  assert.equal(webhook.webhooks.map((w) => w.name), [
    'rev.namespace.sidecar-injector.meshloom.dev',
    'rev.object.sidecar-injector.meshloom.dev',
    'namespace.sidecar-injector.meshloom.dev',
    'object.sidecar-injector.meshloom.dev',
  ]);
  for (const entry of webhook.webhooks) {
    assert.equal(entry.clientConfig, { service: { name: 'meshloom-webhook', namespace: 'ops', port: 443, path: '/inject/main/default' }, caBundle: 'Q0E=' });
    assert.is(entry.failurePolicy, 'Ignore');
    assert.is(entry.sideEffects, 'None');
    assert.is(entry.timeoutSeconds, 10);
    assert.is(entry.reinvocationPolicy, 'Never');
    assert.equal(entry.admissionReviewVersions, ['v1']);
    assert.equal(entry.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }]);
    const expressions = (entry.namespaceSelector as { matchExpressions: unknown[] }).matchExpressions;
    assert.equal(expressions.at(-1), { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'ops'] });
  }
});

test("istiod's validating webhook leaves failurePolicy and caBundle to istiod", () => {
  const [validator] = ofKind(all(), 'ValidatingWebhookConfiguration') as (KubeObject & { webhooks: { failurePolicy?: string; clientConfig: { caBundle?: string } }[] })[];
  assert.is(validator.webhooks[0].failurePolicy, undefined);
  assert.is(validator.webhooks[0].clientConfig.caBundle, undefined);
});

test('STRICT mTLS adds a mesh-wide PeerAuthentication; PERMISSIVE leaves Istio\'s default', () => {
  assert.is(ofKind(all({ meshConfig: { mtls: 'STRICT' } }), 'PeerAuthentication').length, 1);
  assert.is(ofKind(all({ meshConfig: { mtls: 'PERMISSIVE' } }), 'PeerAuthentication').length, 0);
});

test('render is deterministic: the same input gives deep-equal output', () => {
  assert.equal(render(EVERYTHING), render(EVERYTHING));
  assert.equal(JSON.stringify(render(EVERYTHING)), JSON.stringify(render(EVERYTHING)));
});

test('a revision-based upgrade renders the older revision beside the new one; the default tag stays with the spec’s', () => {
  const canary = { updateStrategy: { type: 'RevisionBased' as const }, meshConfig: { mtls: 'STRICT' as const } };
  const retainedRevisions = [{ name: '1-29-8', version: '1.29.8' }, { name: '1-30-3', version: '1.30.3' }];
  const objects = renderedObjects(renderMeshInstallation(mesh(canary), ENV, { retainedRevisions }));
  const keys = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  assert.equal(keys.length, new Set(keys).size, 'no object is rendered twice (an entry naming the spec’s revision is ignored)');

  const istiods = ofKind(objects, 'Deployment').filter((o) => o.metadata.name.startsWith('istiod')) as Workload[];
  assert.equal(istiods.map((o) => [o.metadata.name, o.spec.template.spec.containers[0]!.image]), [
    ['istiod-1-30-3', 'docker.io/istio/pilot:1.30.3'],
    ['istiod-1-29-8', 'docker.io/istio/pilot:1.29.8'],
  ]);
  const meshConfigs = ofKind(objects, 'ConfigMap').map((o) => [o.metadata.name, (o.data as { mesh: string }).mesh.match(/discoveryAddress: (\S+)/)?.[1]]);
  assert.equal(meshConfigs, [['istio-1-30-3', 'istiod-1-30-3.istio-system.svc:15012'], ['istio-1-29-8', 'istiod-1-29-8.istio-system.svc:15012']]);
  assert.is(ofKind(objects, 'PeerAuthentication').length, 1, 'mesh-wide objects come once');

  type Webhook = { name: string; clientConfig: { url: string }; namespaceSelector: { matchExpressions: { key: string; values?: string[] }[] } };
  const webhooks = ofKind(objects, 'MutatingWebhookConfiguration') as (KubeObject & { webhooks: Webhook[] })[];
  const summary = webhooks.map((w) => ({
    name: w.metadata.name,
    entries: w.webhooks.map((e) => e.name.split('.sidecar-injector')[0]),
    revisions: w.webhooks[0]!.namespaceSelector.matchExpressions.find((e) => e.key === LABELS.revision)?.values,
    url: w.webhooks[0]!.clientConfig.url,
  }));
  assert.equal(summary, [
    { name: 'meshloom-sidecar-injector-main-1-30-3', entries: ['rev.namespace', 'rev.object', 'namespace', 'object'], revisions: ['1-30-3', 'default'], url: 'https://127.0.0.1:9443/inject/main/1-30-3' },
    { name: 'meshloom-sidecar-injector-main-1-29-8', entries: ['rev.namespace', 'rev.object'], revisions: ['1-29-8'], url: 'https://127.0.0.1:9443/inject/main/1-29-8' },
  ]);
});

test('switching InPlace → RevisionBased keeps the old `default` istiod; the default tag, and its name, go to the new revision', () => {
  const objects = renderedObjects(renderMeshInstallation(mesh({ updateStrategy: { type: 'RevisionBased' } }), ENV, { retainedRevisions: [{ name: 'default', version: '1.29.8' }] }));
  assert.equal(ofKind(objects, 'Deployment').filter((o) => o.metadata.name.startsWith('istiod')).map((o) => o.metadata.name), ['istiod-1-30-3', 'istiod']);
  assert.equal(ofKind(objects, 'MutatingWebhookConfiguration').map((o) => o.metadata.name), ['meshloom-sidecar-injector-main-1-30-3']);
});

test.run();
