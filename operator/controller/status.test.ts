import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApplyOutcome, StepOutcome } from './apply.js';
import { computeStatus, statusPatch, type StatusInput } from './status.js';
import type { WorkloadState } from './workloads.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:05:00Z');
const SAFE = { safe: true, reason: 'GracePeriodsExceedDrain', message: 'ok' };
const IN_PLACE = { name: 'default', version: '1.30.3' };

function workload(name: string, kind: 'Deployment' | 'DaemonSet', ready: number, desired: number, image = 'docker.io/istio/pilot:1.30.3', revision = 'default'): WorkloadState {
  return { kind, name, namespace: 'istio-system', exists: true, desired, ready, updated: desired, rolledOut: ready >= desired, images: [image], revision };
}

function outcome(istiodReady: number, gatewayReady: number): ApplyOutcome {
  const cp = { component: 'controlPlane', applied: true, written: 0, workloads: [workload('istiod', 'Deployment', istiodReady, 2)], rolledOut: istiodReady >= 2 };
  const gw = { component: 'gateways', applied: istiodReady >= 2, written: 0, workloads: istiodReady >= 2 ? [workload('ingressgateway', 'Deployment', gatewayReady, 2, 'docker.io/istio/proxyv2:1.30.3')] : [], rolledOut: gatewayReady >= 2 };
  return { steps: [cp, gw], waitingFor: istiodReady >= 2 ? undefined : 'controlPlane', pruned: [], written: 0 };
}

/** An ambient install waiting on istio-cni: the control plane is out, ztunnel and gateways not applied yet. */
function waitingOnCni(): ApplyOutcome {
  const step = (component: string, applied: boolean, workloads: WorkloadState[]): StepOutcome => ({ component, applied, written: 0, workloads, rolledOut: applied && workloads.every((w) => w.rolledOut) });
  return {
    steps: [
      step('controlPlane', true, [workload('istiod', 'Deployment', 1, 1)]),
      step('cni', true, [workload('istio-cni-node', 'DaemonSet', 1, 3, 'docker.io/istio/install-cni:1.30.3')]),
      step('ztunnel', false, []),
      step('gateways', false, []),
      step('injector', false, []),
    ],
    waitingFor: 'cni',
    pruned: [],
    written: 0,
  };
}

function input(partial: Partial<StatusInput>): StatusInput {
  return { generation: 3, previous: undefined, target: IN_PLACE, drain: SAFE, progressDeadlineSeconds: 600, now: T0, ...partial };
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
  assert.equal(status.revisions, [{ name: 'default', version: '1.30.3', ready: true, inUse: true }]);
  assert.is(status.rollout, undefined);
});

test('waiting for istiod: Progressing names the step, later components are not reported yet', () => {
  const status = computeStatus(input({ outcome: outcome(1, 0) }));
  assert.is(byType(status, 'Ready').status, 'False');
  assert.is(byType(status, 'Progressing').status, 'True');
  assert.match(byType(status, 'Progressing').message, /control plane \(istiod\).*istiod 1\/2 ready/);
  assert.is(status.components!.gateways, undefined);
  assert.is(status.version, undefined, 'no version is claimed before it is ready');
  assert.equal(status.rollout, { component: 'controlPlane', startedAt: '2026-01-01T00:00:00Z' });
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

test('in-place upgrade: the default revision keeps the old version until the new istiod has rolled out', () => {
  const installed = computeStatus(input({ target: { name: 'default', version: '1.29.8' }, outcome: outcome(2, 2) }));
  const rolling = computeStatus(input({ previous: installed, generation: 4, outcome: outcome(1, 2), now: T1 }));
  assert.equal(rolling.revisions, [{ name: 'default', version: '1.29.8', ready: false, inUse: true }]);
  assert.is(rolling.version, '1.29.8');
  const done = computeStatus(input({ previous: rolling, generation: 4, outcome: outcome(2, 2), now: T1 }));
  assert.equal(done.revisions, [{ name: 'default', version: '1.30.3', ready: true, inUse: true }]);
  assert.is(done.version, '1.30.3');
});

test('a step past its deadline: Degraded with the component named, Progressing stopped; within it, still progressing', () => {
  const started = computeStatus(input({ outcome: waitingOnCni() }));
  assert.equal(started.rollout, { component: 'cni', startedAt: '2026-01-01T00:00:00Z' });
  const within = computeStatus(input({ previous: started, outcome: waitingOnCni(), now: new Date(T0.getTime() + 600_000) }));
  assert.is(byType(within, 'Degraded').status, 'False');
  assert.is(byType(within, 'Progressing').status, 'True');
  const late = computeStatus(input({ previous: within, outcome: waitingOnCni(), now: new Date(T0.getTime() + 601_000) }));
  assert.is(byType(late, 'Degraded').status, 'True');
  assert.is(byType(late, 'Degraded').reason, 'ProgressDeadlineExceeded');
  assert.match(byType(late, 'Degraded').message, /^istio-cni has not rolled out within 600s .*DaemonSet istio-system\/istio-cni-node 1\/3 ready/);
  assert.is(byType(late, 'Progressing').status, 'False');
  assert.is(byType(late, 'Progressing').reason, 'ProgressDeadlineExceeded');
  // An edit of the spec is a new rollout: the clock starts again.
  const edited = computeStatus(input({ previous: late, generation: 4, outcome: waitingOnCni(), now: new Date(T0.getTime() + 700_000) }));
  assert.is(byType(edited, 'Degraded').status, 'False');
  assert.is(edited.rollout!.startedAt, '2026-01-01T00:11:40Z');
});

test('the clock is per step: the next component gets its own deadline', () => {
  const cp = computeStatus(input({ outcome: outcome(1, 0) }));
  const cni = computeStatus(input({ previous: cp, outcome: waitingOnCni(), now: new Date(T0.getTime() + 590_000) }));
  assert.equal(cni.rollout, { component: 'cni', startedAt: '2026-01-01T00:09:50Z' });
  assert.is(byType(computeStatus(input({ previous: cni, outcome: waitingOnCni(), now: new Date(T0.getTime() + 700_000) })), 'Degraded').status, 'False');
});

test('a refused version: Reconciled=False with the rule, the running mesh keeps its Ready, version and revisions', () => {
  const installed = computeStatus(input({ outcome: outcome(2, 2) }));
  const refused = computeStatus(input({ previous: installed, generation: 4, target: { name: 'default', version: '1.31.0' }, failure: { reason: 'VersionNotInCatalogue', message: 'Istio 1.31.0 is not in the catalogue' }, now: T1 }));
  assert.is(byType(refused, 'Reconciled').status, 'False');
  assert.is(byType(refused, 'Reconciled').reason, 'VersionNotInCatalogue');
  assert.equal(byType(refused, 'Ready'), byType(installed, 'Ready'));
  assert.is(refused.version, '1.30.3');
  assert.equal(refused.revisions, installed.revisions);
  assert.equal(refused.components, installed.components);
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

/** A revision-based canary: istiod-1-30-3 beside istiod-1-29-8, everything rolled out and the injector applied. */
function canary(newReady: number): ApplyOutcome {
  const cp: StepOutcome = {
    component: 'controlPlane',
    applied: true,
    written: 0,
    workloads: [workload('istiod-1-30-3', 'Deployment', newReady, 1, 'docker.io/istio/pilot:1.30.3', '1-30-3'), workload('istiod-1-29-8', 'Deployment', 1, 1, 'docker.io/istio/pilot:1.29.8', '1-29-8')],
    rolledOut: newReady >= 1,
  };
  const injector: StepOutcome = { component: 'injector', applied: newReady >= 1, written: 0, workloads: [], rolledOut: newReady >= 1 };
  return { steps: [cp, injector], waitingFor: newReady >= 1 ? undefined : 'controlPlane', pruned: [], written: 0 };
}

test('revision-based: both revisions listed, the active one reported; the tag moves once the injector step applies', () => {
  const target = { name: '1-30-3', version: '1.30.3' };
  const previous = { activeRevision: '1-29-8', version: '1.29.8', revisions: [{ name: '1-29-8', version: '1.29.8', ready: true, inUse: true }] };
  const retained = [{ name: '1-29-8', version: '1.29.8', inUse: true, usedBy: 'pod shop/web-1' }];
  const waiting = computeStatus(input({ target, previous, retained, outcome: canary(0) }));
  assert.is(waiting.activeRevision, '1-29-8', 'the tag stays while the new istiod is not out');
  assert.equal(waiting.revisions, [
    { name: '1-30-3', version: '1.30.3', ready: false, inUse: true },
    { name: '1-29-8', version: '1.29.8', ready: true, inUse: true, usedBy: 'pod shop/web-1' },
  ]);
  const moved = computeStatus(input({ target, previous: waiting, retained: [{ name: '1-29-8', version: '1.29.8', inUse: false, inactiveSince: '2026-01-01T00:00:00Z' }], outcome: canary(1) }));
  assert.is(moved.activeRevision, '1-30-3');
  assert.equal(moved.components!.controlPlane, { desired: 1, ready: 1, version: '1.30.3' }, 'counts are the active revision’s');
  assert.equal(moved.revisions![1], { name: '1-29-8', version: '1.29.8', ready: true, inUse: false, inactiveSince: '2026-01-01T00:00:00Z' });
});

test('a removed revision leaves the status only when the prune ran', () => {
  const target = { name: '1-30-3', version: '1.30.3' };
  const previous = { revisions: [{ name: '1-30-3', version: '1.30.3', ready: true, inUse: true }, { name: '1-29-8', version: '1.29.8', ready: true, inUse: false }] };
  assert.equal(computeStatus(input({ target, previous, retained: [], outcome: canary(1) })).revisions!.map((r) => r.name), ['1-30-3']);
  assert.equal(computeStatus(input({ target, previous, retained: [], outcome: canary(0) })).revisions!.map((r) => r.name), ['1-30-3', '1-29-8']);
});

test('workload migration with work left keeps Progressing (reason MigratingWorkloads) while Ready stays True', () => {
  const migrating = computeStatus(input({ outcome: outcome(2, 2), migration: { version: '1.30.3', restarted: 1, pending: 2, restarting: ['Deployment shop/web'] } }));
  assert.is(byType(migrating, 'Ready').status, 'True');
  assert.is(byType(migrating, 'Progressing').reason, 'MigratingWorkloads');
  assert.match(byType(migrating, 'Progressing').message, 'restarting Deployment shop/web; 2 pending');
  const done = computeStatus(input({ previous: migrating, outcome: outcome(2, 2), migration: { version: '1.30.3', restarted: 3, pending: 0 } }));
  assert.is(byType(done, 'Progressing').status, 'False');
  assert.equal(done.migration, { version: '1.30.3', restarted: 3, pending: 0 });
});

test('the status patch deletes what is gone at every depth (a merge patch keeps anything it does not mention)', () => {
  const before = { version: '1.30.3', rollout: { component: 'gateways', startedAt: 'T' }, migration: { version: '1.30.3', pending: 1, restarting: ['Deployment shop/a'] } };
  const after = { version: '1.30.3', migration: { version: '1.30.3', pending: 0, lastBatchCompletedAt: 'T2' } };
  assert.equal(statusPatch(before, after), { rollout: null, version: '1.30.3', migration: { restarting: null, version: '1.30.3', pending: 0, lastBatchCompletedAt: 'T2' } });
  assert.equal(statusPatch(undefined, after), after);
});

test.run();
