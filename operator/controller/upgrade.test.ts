import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMeshInstallation } from '../../cdk8s/render.js';
import type { MeshInstallationSpec } from '../api/v1alpha1/index.js';
import { planRevisions, revisionUsage, runningVersions, type DataPlane, type InjectedPod } from './upgrade.js';
import { injectedRevision, labelSelectorMatches, type InjectionRoute } from './upgrade-routing.js';

const NOW = new Date('2026-01-01T00:10:00Z');
const TARGET = { name: '1-30-3', version: '1.30.3' };
const OLD = { name: '1-29-8', version: '1.29.8' };

/** The injector configurations meshloom renders for a canary 1.29.8 → 1.30.3 (or a plain install). */
function route(spec: Partial<MeshInstallationSpec>, retained = [OLD]): InjectionRoute {
  const components = renderMeshInstallation(
    { apiVersion: 'mesh.meshloom.dev/v1alpha1', kind: 'MeshInstallation', metadata: { name: 'main' }, spec: { version: '1.30.3', ...spec } },
    { operatorNamespace: 'meshloom-system', injector: { clientConfig: { service: { name: 'meshloom-webhook', namespace: 'meshloom-system', port: 443 } }, failurePolicy: 'Fail' } },
    { retainedRevisions: retained },
  );
  return { installation: 'main', configurations: components.find((c) => c.component === 'injector')!.objects };
}
const CANARY = route({ updateStrategy: { type: 'RevisionBased' } });
const ns = (name: string, labels: Record<string, string> = {}) => ({ 'kubernetes.io/metadata.name': name, ...labels });

test('label selectors: In, NotIn, Exists, DoesNotExist and matchLabels, all required; no selector selects all', () => {
  const labels = { app: 'web', tier: 'front' };
  assert.ok(labelSelectorMatches(undefined, labels));
  assert.ok(labelSelectorMatches({}, labels));
  assert.ok(labelSelectorMatches({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, labels));
  assert.not.ok(labelSelectorMatches({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels));
  assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }, { key: 'x', operator: 'DoesNotExist' }] }, labels));
  assert.not.ok(labelSelectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, labels));
});

test('routing follows the rendered configurations: the default tag goes to the target, pinned namespaces and pods to theirs', () => {
  assert.is(injectedRevision(CANARY, ns('shop', { 'istio-injection': 'enabled' }), {}), '1-30-3');
  assert.is(injectedRevision(CANARY, ns('shop', { 'istio.io/rev': 'default' }), {}), '1-30-3');
  assert.is(injectedRevision(CANARY, ns('legacy', { 'istio.io/rev': '1-29-8' }), {}), '1-29-8');
  assert.is(injectedRevision(CANARY, ns('plain'), { 'istio.io/rev': '1-29-8' }), '1-29-8');
  assert.is(injectedRevision(CANARY, ns('plain'), { 'sidecar.istio.io/inject': 'true' }), '1-30-3');
  assert.is(injectedRevision(CANARY, ns('plain'), {}), undefined, 'an unlabelled namespace is not injected');
  assert.is(injectedRevision(CANARY, ns('shop', { 'istio-injection': 'enabled' }), { 'sidecar.istio.io/inject': 'false' }), undefined);
  assert.is(injectedRevision(CANARY, ns('kube-system', { 'istio-injection': 'enabled' }), {}), undefined, 'system namespaces are excluded');
  // istio-injection wins over istio.io/rev, as in Istio.
  assert.is(injectedRevision(CANARY, ns('both', { 'istio-injection': 'enabled', 'istio.io/rev': '1-29-8' }), {}), '1-30-3');
  // In place there is one revision, `default`.
  assert.is(injectedRevision(route({}, []), ns('shop', { 'istio-injection': 'enabled' }), {}), 'default');
});

function pod(name: string, revision: string, extra: Partial<InjectedPod> = {}): InjectedPod {
  return { namespace: 'shop', name, labels: {}, revision, proxyImage: `docker.io/istio/proxyv2:${revision.replaceAll('-', '.')}`, terminating: false, ...extra };
}

test('revision usage: pods injected by a revision, and namespaces labelled for it, each named', () => {
  const dataPlane: DataPlane = {
    pods: [pod('web-1', '1-30-3'), pod('old-1', '1-29-8')],
    namespaces: new Map([
      ['shop', ns('shop', { 'istio-injection': 'enabled' })],
      ['legacy', ns('legacy', { 'istio.io/rev': '1-29-8' })],
    ]),
  };
  assert.equal([...revisionUsage(dataPlane, CANARY, ['1-29-8'])], [['1-29-8', 'namespace legacy']], 'a namespace is named before a pod');
  const byPod: DataPlane = { pods: [pod('old-1', '1-29-8')], namespaces: new Map([['shop', ns('shop', { 'istio-injection': 'enabled' })]]) };
  assert.equal([...revisionUsage(byPod, CANARY, ['1-29-8'])], [['1-29-8', 'pod shop/old-1']]);
  const unused: DataPlane = { pods: [pod('web-1', '1-30-3')], namespaces: byPod.namespaces };
  assert.equal(revisionUsage(unused, CANARY, ['1-29-8']).size, 0);
});

test('an older revision stays while used, starts its grace period when unused, and goes once the period is over', () => {
  const previous = [{ name: '1-30-3', version: '1.30.3' }, { name: '1-29-8', version: '1.29.8', inUse: true }];
  const used = planRevisions({ target: TARGET, previous, usage: new Map([['1-29-8', 'pod shop/old-1']]), graceSeconds: 30, now: NOW });
  assert.equal(used.retained, [{ name: '1-29-8', version: '1.29.8', inUse: true, usedBy: 'pod shop/old-1' }]);
  assert.equal([used.removed, used.nextRemovalAt], [[], undefined]);

  const idle = planRevisions({ target: TARGET, previous, usage: new Map(), graceSeconds: 30, now: NOW });
  assert.equal(idle.retained, [{ name: '1-29-8', version: '1.29.8', inUse: false, usedBy: undefined, inactiveSince: '2026-01-01T00:10:00Z' }]);
  assert.equal(idle.nextRemovalAt, new Date('2026-01-01T00:10:30Z'));

  const since = [previous[0]!, { ...previous[1]!, inUse: false, inactiveSince: '2026-01-01T00:10:00Z' }];
  const early = planRevisions({ target: TARGET, previous: since, usage: new Map(), graceSeconds: 30, now: new Date('2026-01-01T00:10:29Z') });
  assert.is(early.removed.length, 0, 'not before the grace period is over');
  const due = planRevisions({ target: TARGET, previous: since, usage: new Map(), graceSeconds: 30, now: new Date('2026-01-01T00:10:30Z') });
  assert.equal(due.removed.map((r) => r.name), ['1-29-8']);
  assert.equal(due.retained, []);

  // Used again during the grace period: the clock is reset.
  const reused = planRevisions({ target: TARGET, previous: since, usage: new Map([['1-29-8', 'namespace legacy']]), graceSeconds: 30, now: new Date('2026-01-01T00:10:40Z') });
  assert.equal(reused.retained.map((r) => [r.inUse, r.inactiveSince]), [[true, undefined]]);
});

test('a rollback to the older revision makes it the target and keeps the newer one as retained', () => {
  const previous = [{ name: '1-30-3', version: '1.30.3' }, { name: '1-29-8', version: '1.29.8' }];
  const plan = planRevisions({ target: OLD, previous, usage: new Map([['1-30-3', 'pod shop/web-1']]), graceSeconds: 30, now: NOW });
  assert.equal(plan.retained.map((r) => r.name), ['1-30-3']);
});

test('running versions come from the status version and every revision', () => {
  assert.equal(runningVersions({ version: '1.29.8', revisions: [{ name: '1-30-3', version: '1.30.3' }, { name: '1-29-8', version: '1.29.8' }] }), ['1.29.8', '1.30.3']);
  assert.equal(runningVersions(undefined), []);
});

test.run();
