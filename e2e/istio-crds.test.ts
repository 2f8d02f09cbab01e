// Istio's API CRDs as meshloom renders them, against a real kube-apiserver: they apply with server-side apply,
// become Established, and accept, keep and serve Istio config in every version. The CRDs stay installed after the
// test, as they do after a MeshInstallation is deleted; only the config objects it creates are removed.
import { ApiException, ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMeshInstallation } from '../cdk8s/render.js';
import { supportedVersions } from '../operator/api/catalogue.js';
import { API_VERSION, KIND } from '../operator/api/names.js';
import { KubeClient } from '../operator/runtime/kube.js';
import { loadKubeConfig, uniqueName, waitFor } from './harness/cluster.js';

const kubeConfig = loadKubeConfig();
const client = new KubeClient(kubeConfig);
const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
const objects = kubeConfig.makeApiClient(CustomObjectsApi);

const NAMESPACE = 'default';
const version = supportedVersions()[0];

const crds = renderMeshInstallation(
  { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'default' }, spec: { version } },
  { operatorNamespace: 'meshloom-system', injector: { clientConfig: { url: 'https://127.0.0.1:9443/' }, failurePolicy: 'Ignore' } },
).find((component) => component.component === 'crds')!.objects;

const virtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: uniqueName('reviews'), namespace: NAMESPACE },
  spec: {
    hosts: ['reviews.shop.svc.cluster.local'],
    http: [
      {
        match: [{ uri: { prefix: '/v2' } }],
        route: [{ destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v2', port: { number: 9080 } }, weight: 100 }],
        timeout: '5s',
      },
    ],
  },
};

const peerAuthentication = {
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: uniqueName('strict'), namespace: NAMESPACE },
  spec: { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
};

const customObject = (object: { apiVersion: string; metadata: { name: string; namespace: string } }, plural: string) => {
  const [group, apiVersion] = object.apiVersion.split('/');
  return { group, version: apiVersion, namespace: object.metadata.namespace, plural, name: object.metadata.name };
};

const isNotFound = (err: unknown) => err instanceof ApiException && err.code === 404;

/** Whether the object is gone; any error but 404 Not Found is the test's failure, not an answer. */
async function absent(object: { apiVersion: string; metadata: { name: string; namespace: string } }, plural: string): Promise<boolean> {
  try {
    await objects.getNamespacedCustomObject(customObject(object, plural));
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

// Leaves nothing behind when a test fails before deleting the two objects itself.
test.after(async () => {
  for (const [object, plural] of [
    [virtualService, 'virtualservices'],
    [peerAuthentication, 'peerauthentications'],
  ] as const) {
    await objects.deleteNamespacedCustomObject(customObject(object, plural)).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
});

test(`Istio ${version}'s CRDs apply server-side and become Established`, async () => {
  assert.ok(crds.length >= 14, `rendered ${crds.length} CRDs`);
  for (const crd of crds) await client.apply(crd);
  for (const crd of crds) {
    await waitFor(
      async () => {
        const current = await extensions.readCustomResourceDefinition({ name: crd.metadata.name });
        return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { timeoutMs: 30_000, description: `CRD ${crd.metadata.name} to be Established` },
    );
  }
});

test('applying the same CRDs again changes nothing', async () => {
  const before = await Promise.all(crds.map((crd) => extensions.readCustomResourceDefinition({ name: crd.metadata.name })));
  for (const crd of crds) await client.apply(crd);
  const after = await Promise.all(crds.map((crd) => extensions.readCustomResourceDefinition({ name: crd.metadata.name })));
  assert.equal(
    after.map((crd) => crd.metadata?.resourceVersion),
    before.map((crd) => crd.metadata?.resourceVersion),
  );
});

test('a VirtualService and a PeerAuthentication are stored whole and read back in another version', async () => {
  await objects.createNamespacedCustomObject({ ...customObject(virtualService, 'virtualservices'), body: virtualService });
  await objects.createNamespacedCustomObject({ ...customObject(peerAuthentication, 'peerauthentications'), body: peerAuthentication });

  const storedRoute = (await objects.getNamespacedCustomObject(customObject(virtualService, 'virtualservices'))) as typeof virtualService;
  assert.equal(storedRoute.spec, virtualService.spec);
  const storedPolicy = (await objects.getNamespacedCustomObject(customObject(peerAuthentication, 'peerauthentications'))) as typeof peerAuthentication;
  assert.equal(storedPolicy.spec, peerAuthentication.spec);

  // Older clients still use v1alpha3/v1beta1; every version serves the same objects.
  const asAlpha = (await objects.getNamespacedCustomObject({ ...customObject(virtualService, 'virtualservices'), version: 'v1alpha3' })) as typeof virtualService;
  assert.is(asAlpha.apiVersion, 'networking.istio.io/v1alpha3');
  assert.equal(asAlpha.spec, virtualService.spec);
  const asBeta = (await objects.getNamespacedCustomObject({ ...customObject(peerAuthentication, 'peerauthentications'), version: 'v1beta1' })) as typeof peerAuthentication;
  assert.equal(asBeta.spec, peerAuthentication.spec);
});

test('the two objects are deleted; the CRDs stay', async () => {
  await objects.deleteNamespacedCustomObject(customObject(virtualService, 'virtualservices'));
  await objects.deleteNamespacedCustomObject(customObject(peerAuthentication, 'peerauthentications'));
  await waitFor(async () => (await absent(virtualService, 'virtualservices')) && (await absent(peerAuthentication, 'peerauthentications')), {
    timeoutMs: 10_000,
    description: 'the VirtualService and PeerAuthentication to be deleted',
  });
  for (const crd of crds) assert.ok(await extensions.readCustomResourceDefinition({ name: crd.metadata.name }), crd.metadata.name);
});

test.run();
