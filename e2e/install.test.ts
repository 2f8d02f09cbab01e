// The artefacts users apply by hand pass the API server's own validation: dist/install.yaml, and what
// `meshloom render` prints for an example. Server-side dry runs cannot create namespaces for the objects
// that follow them, so the namespaces the manifests use are created first, for real.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, uniqueName } from './harness/cluster.js';
import { kubectl, kubectlOk } from './harness/kubectl.js';

function namespacesOf(yaml: string): string[] {
  const docs = parseAllDocuments(yaml).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null);
  return docs.filter((d) => d?.kind === 'Namespace').map((d) => d!.metadata!.name!);
}

function ensureNamespaces(names: string[]): string[] {
  const created = names.filter((n) => kubectl(['get', 'namespace', n]).status !== 0);
  for (const n of created) kubectlOk(['create', 'namespace', n]);
  return created;
}

test('dist/install.yaml passes kubectl apply --dry-run=server', () => {
  const bundle = join(REPO_ROOT, 'dist', 'install.yaml');
  const created = ensureNamespaces(['meshloom-system']);
  const result = kubectl(['apply', '--dry-run=server', '-f', bundle]);
  for (const n of created) kubectl(['delete', 'namespace', n, '--wait=false']);
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, /deployment.apps\/meshloom-operator (created|configured|unchanged) \(server dry run\)/);
  assert.match(result.stdout, /clusterrole.rbac.authorization.k8s.io\/meshloom-operator (created|configured|unchanged) \(server dry run\)/);
});

test('meshloom render -f examples/mesh-default.yaml | kubectl apply --dry-run=server -f - passes', () => {
  const rendered = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'operator', 'cli', 'meshloom.ts'), 'render', '-f', join(REPO_ROOT, 'examples', 'mesh-default.yaml')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(rendered.status, 0, rendered.stderr);
  const created = ensureNamespaces(namespacesOf(rendered.stdout));
  const result = kubectl(['apply', '--dry-run=server', '-f', '-'], rendered.stdout);
  for (const n of created) kubectl(['delete', 'namespace', n, '--wait=false']);
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, /deployment.apps\/istiod (created|configured|unchanged) \(server dry run\)/);
  assert.match(result.stdout, /mutatingwebhookconfiguration.admissionregistration.k8s.io\/\S+ (created|configured|unchanged) \(server dry run\)/);
});

test('meshloom render refuses a bad spec with the field named, and prints nothing on stdout', () => {
  const name = uniqueName('bad');
  const bad = `apiVersion: mesh.meshloom.dev/v1alpha1\nkind: MeshInstallation\nmetadata:\n  name: ${name}\nspec:\n  version: 1.30.3\n  gateways:\n    - name: gw\n      drain: { duration: 600s }\n      terminationGracePeriodSeconds: 60\n`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'operator', 'cli', 'meshloom.ts'), 'render', '-f', '-'], {
    input: bad,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(result.status, 1);
  assert.is(result.stdout, '');
  assert.match(result.stderr, /terminationGracePeriodSeconds/);
});

test.run();
