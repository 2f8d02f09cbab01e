import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containsDesired } from './drift.js';

test('extra server-defaulted fields do not count as drift', () => {
  const desired = { spec: { replicas: 2, template: { spec: { containers: [{ name: 'a', image: 'x:1' }] } } } };
  const live = { spec: { replicas: 2, revisionHistoryLimit: 10, template: { spec: { dnsPolicy: 'ClusterFirst', containers: [{ name: 'a', image: 'x:1', terminationMessagePath: '/dev/termination-log' }] } } } };
  assert.ok(containsDesired(live, desired));
});

test('an edited image is drift', () => {
  const desired = { spec: { containers: [{ name: 'a', image: 'x:1' }] } };
  assert.not.ok(containsDesired({ spec: { containers: [{ name: 'a', image: 'x:2' }] } }, desired));
});

test('a missing or extra list element is drift', () => {
  const desired = { ports: [{ port: 80 }, { port: 443 }] };
  assert.not.ok(containsDesired({ ports: [{ port: 80 }] }, desired));
  assert.not.ok(containsDesired({ ports: [{ port: 80 }, { port: 443 }, { port: 8080 }] }, desired));
});

test('quantities compare by value', () => {
  assert.ok(containsDesired({ cpu: '1' }, { cpu: '1000m' }));
  assert.ok(containsDesired({ memory: '1Gi' }, { memory: '1024Mi' }));
  assert.not.ok(containsDesired({ memory: '1Gi' }, { memory: '1G' }));
  assert.not.ok(containsDesired({ cpu: '500m' }, { cpu: '1' }));
});

test('zero values equal absent fields, but not other values', () => {
  assert.ok(containsDesired({}, { hostNetwork: false, replicas: 0, name: '' }));
  assert.not.ok(containsDesired({ replicas: 3 }, { replicas: 0 }));
  assert.not.ok(containsDesired({ hostNetwork: true }, { hostNetwork: false }));
  assert.ok(containsDesired({ emptyDir: { medium: '' } }, { emptyDir: {} }));
  assert.ok(containsDesired({ strategy: { type: 'RollingUpdate' } }, { strategy: {} }));
});

test('numbers and strings are different values', () => {
  assert.not.ok(containsDesired({ targetPort: 'http' }, { targetPort: 8080 }));
  assert.not.ok(containsDesired({ value: 'true' }, { value: true }));
});

test.run();
