import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OPERATOR_CLUSTER_RULES } from '../../operator/api/rbac.js';
import { BUNDLE_PATH, installBundleYaml } from './generate.js';
import { renderInstallBundle } from './install-bundle.js';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };
const bundle = renderInstallBundle({ version: '0.0.0-test', image: 'ghcr.io/meshloom/meshloom:test' }) as Obj[];
const byKind = (kind: string) => bundle.filter((o) => o.kind === kind);

test('dist/install.yaml is up to date (regenerate with `make install-bundle`)', () => {
  assert.is(readFileSync(BUNDLE_PATH, 'utf8'), installBundleYaml());
});

test('the bundle has the CRD, namespace, identity, RBAC, Deployment, Service and PDB', () => {
  assert.equal(
    bundle.map((o) => o.kind).sort(),
    ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'],
  );
  for (const o of bundle) {
    const clusterScoped = ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Namespace'].includes(o.kind);
    assert.is(o.metadata.namespace === undefined, clusterScoped, `${o.kind} ${o.metadata.name} namespace`);
  }
});

test('RBAC is written rule by rule from operator/api/rbac.ts, with no wildcards', () => {
  const [role] = byKind('ClusterRole');
  assert.is(role!.rules.length, OPERATOR_CLUSTER_RULES.length);
  for (const rule of byKind('ClusterRole').concat(byKind('Role')).flatMap((r) => r.rules)) {
    for (const field of ['apiGroups', 'resources', 'verbs']) assert.not.ok(rule[field].includes('*'), `no wildcard in ${field}`);
  }
});

test('the operator Deployment is highly available, leader-elected and locked down', () => {
  const [deployment] = byKind('Deployment');
  const pod = deployment!.spec.template.spec;
  const [container] = pod.containers;
  assert.is(deployment!.spec.replicas, 2);
  assert.ok(container.args.includes('--leader-elect'));
  assert.ok(pod.affinity.podAntiAffinity);
  assert.ok(container.readinessProbe && container.livenessProbe);
  assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
  assert.is(container.securityContext.readOnlyRootFilesystem, true);
  assert.is(container.securityContext.allowPrivilegeEscalation, false);
  assert.equal(container.securityContext.capabilities.drop, ['ALL']);
  assert.is(pod.securityContext.runAsNonRoot, true);
  assert.is(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.is(byKind('PodDisruptionBudget')[0]!.spec.minAvailable, 1);
});

test.run();
