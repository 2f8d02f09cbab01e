// The MeshInstallation CRD against a real kube-apiserver: its schema and CEL rules accept the examples and
// refuse bad specs at admission, with a message naming the field. Only the API server can evaluate CEL, so
// this is an e2e test. Objects are created with server-side dry run except where a transition rule needs a
// stored object.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiException, ApiextensionsV1Api, CustomObjectsApi, loadYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { GROUP, PLURAL, VERSION } from '../operator/api/names.js';
import type { MeshInstallation, MeshInstallationSpec } from '../operator/api/v1alpha1/index.js';
import { loadKubeConfig, REPO_ROOT, uniqueName, waitFor } from './harness/cluster.js';

const kubeConfig = loadKubeConfig();
const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
const objects = kubeConfig.makeApiClient(CustomObjectsApi);

// loadYaml maps JSON names (`enum`, `x-kubernetes-validations`) to the client's model fields; a plain parse
// would have them silently dropped by the client's serializer.
const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(join(REPO_ROOT, 'crds/meshinstallation.yaml'), 'utf8'));
const crdName = crd.metadata!.name!;

function meshInstallation(name: string, spec: MeshInstallationSpec): MeshInstallation {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'MeshInstallation', metadata: { name }, spec };
}

/** Server-side dry run unless `persist`: admission runs in full, nothing is left behind. */
const create = (body: MeshInstallation, persist = false) =>
  objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body, dryRun: persist ? undefined : 'All' });

/** The API server's refusal message for `attempt`; fails the test if the request was accepted. */
async function refusal(attempt: () => Promise<unknown>): Promise<string> {
  try {
    await attempt();
  } catch (err) {
    if (err instanceof ApiException) {
      assert.is(err.code, 422, `expected 422 Unprocessable Entity, got ${err.code}: ${String(err.body)}`);
      return String((JSON.parse(String(err.body)) as { message: string }).message);
    }
    throw err;
  }
  assert.unreachable('the API server accepted an invalid MeshInstallation');
  return '';
}

test.before(async () => {
  try {
    const existing = await extensions.readCustomResourceDefinition({ name: crdName });
    await extensions.replaceCustomResourceDefinition({
      name: crdName,
      body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata!.resourceVersion } },
    });
  } catch (err) {
    if (!(err instanceof ApiException) || err.code !== 404) throw err;
    await extensions.createCustomResourceDefinition({ body: crd });
  }
  await waitFor(
    async () => {
      const current = await extensions.readCustomResourceDefinition({ name: crdName });
      return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    },
    { timeoutMs: 30_000, description: `CRD ${crdName} to be Established` },
  );
});

test('every example is accepted', async () => {
  const examples = readdirSync(join(REPO_ROOT, 'examples')).filter((file) => /^mesh-.*\.yaml$/.test(file));
  assert.ok(examples.length >= 5, `examples: ${examples.join(', ')}`);
  for (const file of examples) {
    const body = parse(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8')) as MeshInstallation;
    await create(body);
  }
});

test('a gateway whose grace period does not exceed its drain is refused, naming both fields', async () => {
  const message = await refusal(() =>
    create(
      meshInstallation('grace', {
        version: '1.30.3',
        gateways: [{ name: 'edge', drain: { duration: '600s' }, terminationGracePeriodSeconds: 600 }],
      }),
    ),
  );
  assert.match(message, 'spec.gateways[0].terminationGracePeriodSeconds');
  assert.match(message, 'gateway edge must be greater than its drain.duration (600s)');
});

test("without drain.duration the grace period is held against Istio's 5s default", async () => {
  const message = await refusal(() =>
    create(meshInstallation('grace-default', { version: '1.30.3', gateways: [{ name: 'edge', terminationGracePeriodSeconds: 5 }] })),
  );
  assert.match(message, 'its drain.duration (5s)');
  await create(meshInstallation('grace-default-ok', { version: '1.30.3', gateways: [{ name: 'edge', terminationGracePeriodSeconds: 6 }] }));
});

test('duplicate gateway names are refused', async () => {
  const message = await refusal(() =>
    create(meshInstallation('dup-gw', { version: '1.30.3', gateways: [{ name: 'edge' }, { name: 'edge', type: 'Egress' }] })),
  );
  assert.match(message, 'spec.gateways[].name must be unique');
});

test('duplicate Service port names and numbers are refused', async () => {
  const withPorts = (ports: { name: string; port: number }[]) =>
    create(meshInstallation('dup-port', { version: '1.30.3', gateways: [{ name: 'edge', service: { ports } }] }));
  const names = await refusal(() => withPorts([{ name: 'http2', port: 80 }, { name: 'http2', port: 8080 }]));
  assert.match(names, 'spec.gateways[].service.ports[].name must be unique');
  const numbers = await refusal(() => withPorts([{ name: 'http2', port: 80 }, { name: 'http', port: 80 }]));
  assert.match(numbers, 'spec.gateways[].service.ports[].port must be unique');
});

test('an unknown profile is refused by the enum', async () => {
  const message = await refusal(() =>
    create(meshInstallation('profile', { version: '1.30.3', profile: 'production' as MeshInstallationSpec['profile'] })),
  );
  assert.match(message, 'spec.profile');
  assert.match(message, 'Unsupported value: "production"');
});

test('a malformed version is refused', async () => {
  const message = await refusal(() => create(meshInstallation('version', { version: 'v1.30' })));
  assert.match(message, 'spec.version');
});

test('spec.namespace cannot change once stored', async () => {
  const name = uniqueName('immutable');
  await create(meshInstallation(name, { version: '1.30.3', profile: 'minimal', namespace: 'mesh-a' }), true);
  try {
    const stored = (await objects.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name })) as MeshInstallation;
    const message = await refusal(() =>
      objects.replaceClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        name,
        body: { ...stored, spec: { ...stored.spec, namespace: 'mesh-b' } },
      }),
    );
    assert.match(message, 'spec.namespace is immutable');
    // Writing the default explicitly is not a change.
    const minimal = meshInstallation(uniqueName('implicit'), { version: '1.30.3', profile: 'minimal' });
    await create(minimal, true);
    const implicit = (await objects.getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: minimal.metadata!.name! })) as MeshInstallation;
    await objects.replaceClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: minimal.metadata!.name!,
      body: { ...implicit, spec: { ...implicit.spec, namespace: 'istio-system' } },
    });
    await objects.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: minimal.metadata!.name! });
  } finally {
    await objects.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name });
  }
});

test.run();
