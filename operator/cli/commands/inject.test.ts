// Spawns the real `meshloom inject` and checks that it prints exactly what the engine produces, reports
// skips on stderr, and fails with the engine's message and a non-zero exit code on invalid input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultInjectionConfig, injectManifests } from '../../../webhooks/inject/index.js';
import { CASES_DIR, readCaseFile } from '../../../webhooks/inject/testing/istio-cases.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function meshloom(args: string[], stdin?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'operator/cli/meshloom.ts', 'inject', ...args], {
    cwd: ROOT,
    input: stdin,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const test = suite('meshloom inject (spawned CLI)');

for (const name of ['hello.yaml', 'frontend.yaml', 'cronjob.yaml', 'list.yaml']) {
  test(`prints the engine's output for ${name}`, () => {
    const expected = injectManifests(readCaseFile(name), defaultInjectionConfig()).output;
    const run = meshloom(['-f', `${CASES_DIR}${name}`]);
    assert.is(run.status, 0, run.stderr);
    assert.fixture(run.stdout, expected);
    assert.is(run.stderr, '');
  });
}

test('reads stdin with -f - and reports a skipped workload on stderr', () => {
  const run = meshloom(['-f', '-'], readCaseFile('hello-host-network.yaml'));
  assert.is(run.status, 0);
  assert.fixture(run.stdout, readCaseFile('hello-host-network.yaml.injected'));
  assert.match(run.stderr, 'Skipping injection because Deployment "hello-host-network" has host networking enabled');
});

test('exits 1 with the invalid annotation named on stderr and nothing on stdout', () => {
  const run = meshloom(['-f', `${CASES_DIR}traffic-annotations-bad-includeipranges.yaml`]);
  assert.is(run.status, 1);
  assert.is(run.stdout, '');
  assert.match(
    run.stderr,
    "invalid value 'bad' for annotation 'traffic.sidecar.istio.io/includeOutboundIPRanges': includeIPRanges invalid",
  );
});

test('--hub, --tag, --revision and --native-sidecars change the injected pod', () => {
  const run = meshloom(['-f', `${CASES_DIR}hello.yaml`, '--hub', 'example.com/mesh', '--tag', '1.30.3', '--revision', 'canary', '--native-sidecars', 'false']);
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, 'image: example.com/mesh/proxyv2:1.30.3');
  assert.match(run.stdout, 'istio.io/rev: canary');
  assert.match(run.stdout, 'value: istiod-canary.istio-system.svc:15012');
  assert.match(run.stdout, '"containers":["istio-proxy"]');
});

test('--mesh injects for a MeshInstallation: its version, namespace and drain duration', () => {
  const mesh = [
    'apiVersion: mesh.meshloom.dev/v1alpha1',
    'kind: MeshInstallation',
    'metadata: {name: default}',
    'spec:',
    '  version: 1.30.3',
    '  namespace: mesh-system',
    '  injection: {drainDuration: 45s, nativeSidecars: Disabled}',
    '  meshConfig: {trustDomain: example.org}',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'meshloom-inject-'));
  const file = join(dir, 'mesh.yaml');
  writeFileSync(file, mesh);
  const run = meshloom(['-f', `${CASES_DIR}hello.yaml`, '--mesh', file]);
  rmSync(dir, { recursive: true });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, 'image: docker.io/istio/proxyv2:1.30.3');
  assert.match(run.stdout, 'value: istiod.mesh-system.svc:15012');
  assert.match(run.stdout, '{"discoveryAddress":"istiod.mesh-system.svc:15012","terminationDrainDuration":"45s"}');
  assert.match(run.stdout, 'value: example.org');
  assert.match(run.stdout, '"containers":["istio-proxy"]');
});

test('usage errors exit 2, unreadable files 1', () => {
  assert.is(meshloom([]).status, 2);
  assert.is(meshloom(['-f', `${CASES_DIR}hello.yaml`, '--native-sidecars', 'maybe']).status, 2);
  const missing = meshloom(['-f', `${CASES_DIR}no-such-file.yaml`]);
  assert.is(missing.status, 1);
  assert.match(missing.stderr, 'cannot read');
});

test.run();
