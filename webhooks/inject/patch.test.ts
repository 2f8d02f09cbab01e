// createJsonPatch: the patch must turn the received pod into the injected pod when the API server applies it,
// and stay small and linear for large pods (a 2000-env-var container was Istio's own worst case).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultInjectionConfig } from './config.js';
import { injectPod } from './inject.js';
import { createJsonPatch } from './patch.js';
import { applyJsonPatch } from './testing/json-patch.js';
import type { Pod } from './types.js';

const test = suite('createJsonPatch');

function bigPod(envCount: number): Pod {
  return {
    metadata: {
      name: 'big',
      namespace: 'shop',
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          env: Array.from({ length: envCount }, (_, i) => ({ name: `VAR_${i}`, value: `value-${i}` })),
        },
      ],
    },
  };
}

test('a pod with 2000 env vars: applying the patch gives the injected pod, without touching the env', () => {
  const pod = bigPod(2000);
  const result = injectPod(pod, 'shop', defaultInjectionConfig());
  const patch = createJsonPatch(pod, result.pod);
  const { managedFields: _ignored, ...metadata } = pod.metadata!;
  assert.equal(applyJsonPatch({ ...pod, metadata }, patch), result.pod);
  assert.ok(patch.length < 30, `patch has ${patch.length} operations`);
  assert.not.ok(patch.some((op) => op.path.startsWith('/spec/containers/0/env')));
  assert.not.ok(patch.some((op) => op.path.includes('managedFields')));
});

test('the patch does not grow with the env size (its cost is measured in bench/inject)', () => {
  const patchFor = (envCount: number) => {
    const pod = bigPod(envCount);
    return createJsonPatch(pod, injectPod(pod, 'shop', defaultInjectionConfig()).pod);
  };
  assert.is(patchFor(16000).length, patchFor(10).length);
});

test('insertions at the front of a list are adds before the kept items', () => {
  const before = { spec: { initContainers: [{ name: 'a' }, { name: 'b' }] } };
  const after = { spec: { initContainers: [{ name: 'x' }, { name: 'y' }, { name: 'a' }, { name: 'b' }] } };
  assert.equal(createJsonPatch(before, after), [
    { op: 'add', path: '/spec/initContainers/0', value: { name: 'x' } },
    { op: 'add', path: '/spec/initContainers/1', value: { name: 'y' } },
  ]);
});

test('reordering, removal and changed members produce a patch that applies exactly', () => {
  const before = { metadata: { labels: { gone: 'x', keep: 'y' } }, spec: { containers: [{ name: 'p', image: '1' }, { name: 'a' }, { name: 'b' }] } };
  const after = { metadata: { labels: { keep: 'z', 'app.kubernetes.io/name': 'n' } }, spec: { containers: [{ name: 'a' }, { name: 'b', tty: true }, { name: 'p', image: '2' }] } };
  const patch = createJsonPatch(before, after);
  assert.equal(applyJsonPatch(before, patch), after);
  assert.ok(patch.some((op) => op.path === '/metadata/labels/app.kubernetes.io~1name'), 'slash in a key is escaped as ~1');
  assert.ok(patch.some((op) => op.op === 'remove' && op.path === '/metadata/labels/gone'));
});

test('identical documents give an empty patch', () => {
  const pod = bigPod(10);
  assert.equal(createJsonPatch(pod, structuredClone(pod)), []);
});

test.run();
