import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApplyOutcome } from './apply.js';
import { computeStatus, type StatusInput } from './status.js';
import type { WorkloadState } from './workloads.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:05:00Z');
const SAFE = { safe: true, reason: 'GracePeriodsExceedDrain', message: 'ok' };

function workload(name: string, kind: 'Deployment' | 'DaemonSet', ready: number, desired: number, image = 'docker.io/istio/pilot:1.30.3'): WorkloadState {
  return { kind, name, namespace: 'istio-system', exists: true, desired, ready, updated: desired, rolledOut: ready >= desired, images: [image] };
}

function outcome(istiodReady: number, gatewayReady: number): ApplyOutcome {
  const cp = { component: 'controlPlane', applied: true, written: 0, workloads: [workload('istiod', 'Deployment', istiodReady, 2)], rolledOut: istiodReady >= 2 };
  const gw = { component: 'gateways', applied: istiodReady >= 2, written: 0, workloads: istiodReady >= 2 ? [workload('ingressgateway', 'Deployment', gatewayReady, 2, 'docker.io/istio/proxyv2:1.30.3')] : [], rolledOut: gatewayReady >= 2 };
  return { steps: [cp, gw], waitingFor: istiodReady >= 2 ? undefined : 'controlPlane', pruned: [], written: 0 };
}

function input(partial: Partial<StatusInput>): StatusInput {
  return { generation: 3, previous: undefined, version: '1.30.3', revision: 'default', drain: SAFE, now: T0, ...partial };
}

const byType = (status: ReturnType<typeof computeStatus>, type: string) => status.conditions!.find((c) => c.type === type)!;

test('everything rolled out: Ready, not Progressing, counts and version reported', () => {
  const status = computeStatus(input({ outcome: outcome(2, 2) }));
  assert.is(byType(status, 'Ready').status, 'True');
  assert.is(byType(status, 'Progressing').status, 'False');
  assert.is(byType(status, 'Reconciled').status, 'True');
  assert.equal(status.components!.controlPlane, { desired: 2, ready: 2, version: '1.30.3' });
  assert.equal(status.components!.gateways, [{ name: 'ingressgateway', namespace: 'istio-system', desired: 2, ready: 2 }]);
  assert.is(status.version, '1.30.3');
  assert.is(status.observedGeneration, 3);
});

test('waiting for istiod: Progressing names the step, later components are not reported yet', () => {
  const status = computeStatus(input({ outcome: outcome(1, 0) }));
  assert.is(byType(status, 'Ready').status, 'False');
  assert.is(byType(status, 'Progressing').status, 'True');
  assert.match(byType(status, 'Progressing').message, /control plane \(istiod\).*istiod 1\/2 ready/);
  assert.is(status.components!.gateways, undefined);
  assert.is(status.version, undefined, 'no version is claimed before it is ready');
});

test('an unchanged world gives a deep-equal status (no write), and transitions move the timestamp', () => {
  const first = computeStatus(input({ outcome: outcome(2, 2) }));
  const again = computeStatus(input({ outcome: outcome(2, 2), previous: first, now: T1 }));
  assert.equal(again, first);
  const degraded = computeStatus(input({ outcome: outcome(1, 2), previous: first, now: T1 }));
  assert.is(byType(degraded, 'Ready').lastTransitionTime, '2026-01-01T00:05:00Z');
  assert.is(byType(degraded, 'Reconciled').lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.is(degraded.version, '1.30.3', 'the last installed version is kept while a rollout runs');
});

test('an ownership conflict: Reconciled=False with the reason, previous components kept', () => {
  const first = computeStatus(input({ outcome: outcome(2, 2) }));
  const status = computeStatus(input({ previous: first, failure: { reason: 'OwnershipConflict', message: 'ConfigMap istio-system/istio already exists' } }));
  assert.is(byType(status, 'Reconciled').status, 'False');
  assert.is(byType(status, 'Reconciled').reason, 'OwnershipConflict');
  assert.is(byType(status, 'Ready').status, 'False');
  assert.is(byType(status, 'Degraded').status, 'False');
  assert.equal(status.components, first.components);
});

test('an apply failure is Degraded', () => {
  const status = computeStatus(input({ failure: { reason: 'ApplyFailed', message: 'connection refused' } }));
  assert.is(byType(status, 'Degraded').status, 'True');
});

test('DrainSafe follows the drain assessment', () => {
  const status = computeStatus(input({ outcome: outcome(2, 2), drain: { safe: false, reason: 'SidecarPolicyWarnOnly', message: 'warn' } }));
  assert.is(byType(status, 'DrainSafe').status, 'False');
  assert.is(byType(status, 'DrainSafe').reason, 'SidecarPolicyWarnOnly');
});

test.run();
