// Strategic merge of the rendered template onto a pod: merge keys per list, the API machinery's ordering,
// and null meaning "delete".
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { strategicMergePod } from './strategic-merge.js';

const test = suite('strategicMergePod');

test('new patch items come before the pod’s own (injected volumes precede the user’s)', () => {
  const merged = strategicMergePod({ spec: { volumes: [{ name: 'data' }] } }, { spec: { volumes: [{ name: 'istio-envoy' }, { name: 'istio-data' }] } });
  assert.equal(merged.spec.volumes.map((v) => v.name), ['istio-envoy', 'istio-data', 'data']);
});

test('an item present on both sides keeps its place and merges field by field', () => {
  const merged = strategicMergePod(
    { spec: { containers: [{ name: 'app', image: 'a' }, { name: 'istio-proxy', image: 'auto', tty: true }] } },
    { spec: { containers: [{ name: 'istio-proxy', image: 'proxyv2', args: ['proxy'] }] } },
  );
  assert.equal(merged.spec.containers, [
    { name: 'app', image: 'a' },
    { name: 'istio-proxy', image: 'proxyv2', tty: true, args: ['proxy'] },
  ]);
});

test('container env merges by name, volumeMounts by mountPath, args are replaced', () => {
  const merged = strategicMergePod(
    { spec: { containers: [{ name: 'c', args: ['a', 'b'], env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }], volumeMounts: [{ name: 'v', mountPath: '/m' }] }] } },
    { spec: { containers: [{ name: 'c', args: ['z'], env: [{ name: 'Y', value: '3' }], volumeMounts: [{ name: 'w', mountPath: '/m' }] }] } },
  );
  const container = merged.spec.containers[0]!;
  assert.equal(container.args, ['z']);
  assert.equal(container.env, [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }]);
  assert.equal(container.volumeMounts, [{ name: 'w', mountPath: '/m' }]);
});

test('a null deletes the key; nulls inside new items are dropped', () => {
  const merged = strategicMergePod(
    { metadata: { labels: { a: '1', b: '2' } }, spec: {} as Record<string, unknown> },
    { metadata: { labels: { a: null } }, spec: { volumes: [{ name: 'workload-socket', emptyDir: null }] } },
  );
  assert.equal(merged.metadata.labels, { b: '2' });
  assert.equal((merged.spec as { volumes: unknown[] }).volumes, [{ name: 'workload-socket' }]);
});

test('the inputs are not modified', () => {
  const pod = { spec: { containers: [{ name: 'c', env: [{ name: 'X', value: '1' }] }] } };
  const copy = structuredClone(pod);
  strategicMergePod(pod, { spec: { containers: [{ name: 'c', env: [{ name: 'X', value: '2' }] }] } });
  assert.equal(pod, copy);
});

test.run();
