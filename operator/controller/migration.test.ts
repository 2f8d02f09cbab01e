import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMeshInstallation } from '../../cdk8s/render.js';
import { planMigration, stalePods, type DisruptionBudget, type MigrationInput, type MigrationWorkload } from './migration.js';
import type { DataPlane, InjectedPod } from './upgrade.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const SETTINGS = { batchSize: 1, pauseSeconds: 30 };

function workload(name: string, extra: Partial<MigrationWorkload> = {}): MigrationWorkload {
  return { kind: 'Deployment', namespace: 'shop', name, podLabels: { app: name }, rolledOut: true, ...extra };
}

const plan = (partial: Partial<MigrationInput>) =>
  planMigration({ version: '1.30.3', previous: undefined, workloads: [], budgets: [], settings: SETTINGS, now: T0, ...partial });

test('stale pods: those whose proxy differs from what their revision injects now; pinned and terminating pods are left alone', () => {
  const [injector] = renderMeshInstallation(
    { apiVersion: 'mesh.meshloom.dev/v1alpha1', kind: 'MeshInstallation', metadata: { name: 'main' }, spec: { version: '1.30.3', updateStrategy: { type: 'RevisionBased' } } },
    { operatorNamespace: 'meshloom-system', injector: { clientConfig: { url: 'https://127.0.0.1:9443' }, failurePolicy: 'Fail' } },
    { retainedRevisions: [{ name: '1-29-8', version: '1.29.8' }] },
  ).filter((c) => c.component === 'injector');
  const route = { installation: 'main', configurations: injector!.objects };
  const pod = (namespace: string, name: string, tag: string, extra: Partial<InjectedPod> = {}): InjectedPod => ({
    namespace, name, labels: {}, revision: '1-29-8', proxyImage: `docker.io/istio/proxyv2:${tag}`, terminating: false, ...extra,
  });
  const dataPlane: DataPlane = {
    pods: [
      pod('shop', 'web-old', '1.29.8'),
      pod('shop', 'web-new', '1.30.3', { revision: '1-30-3' }),
      pod('shop', 'web-going', '1.29.8', { terminating: true }),
      pod('legacy', 'pinned', '1.29.8'),
      pod('plain', 'by-label', '1.29.8', { labels: { 'sidecar.istio.io/inject': 'true' } }),
      pod('plain', 'orphan', '1.29.8'),
    ],
    namespaces: new Map<string, Record<string, string>>([
      ['shop', { 'kubernetes.io/metadata.name': 'shop', 'istio-injection': 'enabled' }],
      ['legacy', { 'kubernetes.io/metadata.name': 'legacy', 'istio.io/rev': '1-29-8' }],
      ['plain', { 'kubernetes.io/metadata.name': 'plain' }],
    ]),
  };
  const tags: Record<string, string> = { '1-30-3': '1.30.3', '1-29-8': '1.29.8' };
  assert.equal(stalePods(dataPlane, route, (revision) => tags[revision]).map((p) => p.name), ['web-old', 'by-label']);
});

test('one batch at a time: batchSize workloads, in a stable order', () => {
  const result = plan({ workloads: [workload('c'), workload('a'), workload('b')], settings: { batchSize: 2, pauseSeconds: 30 } });
  assert.equal(result.restart.map((w) => w.name), ['a', 'b']);
  assert.equal(result.status, { version: '1.30.3', restarted: 2, pending: 1, restarting: ['Deployment shop/a', 'Deployment shop/b'] });
});

test('while a restarted workload rolls out nothing else starts; then the pause runs from the end of the batch', () => {
  const previous = { version: '1.30.3', restarted: 1, pending: 1, restarting: ['Deployment shop/a'] };
  const rolling = plan({ previous, workloads: [workload('a', { restartedFor: '1.30.3', rolledOut: false }), workload('b')] });
  assert.equal(rolling.restart, []);
  assert.equal(rolling.status.restarting, ['Deployment shop/a']);
  assert.is(rolling.nextBatchAt, undefined);

  const finished = plan({ previous, workloads: [workload('b')] });
  assert.equal(finished.restart, [], 'the pause starts now');
  assert.is(finished.status.lastBatchCompletedAt, '2026-01-01T00:00:00Z');
  assert.equal(finished.nextBatchAt, new Date('2026-01-01T00:00:30Z'));

  const after = plan({ previous: finished.status, workloads: [workload('b')], now: new Date('2026-01-01T00:00:30Z') });
  assert.equal(after.restart.map((w) => w.name), ['b']);
  assert.equal(after.status, { version: '1.30.3', restarted: 2, pending: 0, restarting: ['Deployment shop/b'], lastBatchCompletedAt: '2026-01-01T00:00:00Z' });
});

test('a workload already restarted for this version is not restarted again, even if old pods remain', () => {
  const result = plan({ workloads: [workload('a', { restartedFor: '1.30.3', rolledOut: true })] });
  assert.equal(result.restart, []);
  assert.is(result.status.pending, 0);
  assert.equal(plan({ workloads: [workload('a', { restartedFor: '1.29.8' })] }).restart.map((w) => w.name), ['a'], 'a restart for an older version does not count');
});

test('PodDisruptionBudgets: a workload whose budget allows no disruption waits and is reported; one budget per batch', () => {
  const budget = (name: string, app: string, disruptionsAllowed: number): DisruptionBudget => ({ namespace: 'shop', name, selector: { matchLabels: { app } }, disruptionsAllowed });
  const result = plan({
    workloads: [workload('a'), workload('b'), workload('c', { podLabels: { app: 'b' } })],
    budgets: [budget('a-pdb', 'a', 0), budget('b-pdb', 'b', 1), { namespace: 'other', name: 'x', selector: {}, disruptionsAllowed: 0 }],
    settings: { batchSize: 3, pauseSeconds: 0 },
  });
  assert.equal(result.restart.map((w) => w.name), ['b'], 'c shares b’s budget and waits for the next batch');
  assert.equal(result.status.blocked, ['Deployment shop/a: PodDisruptionBudget shop/a-pdb allows no disruption']);
  assert.is(result.status.pending, 2);
});

test('a new target version starts the count again', () => {
  const previous = { version: '1.29.8', restarted: 5, pending: 0, lastBatchCompletedAt: '2026-01-01T00:00:00Z' };
  const result = plan({ previous, workloads: [workload('a')] });
  assert.equal(result.status, { version: '1.30.3', restarted: 1, pending: 0, restarting: ['Deployment shop/a'] });
});

test.run();
