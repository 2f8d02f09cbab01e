import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshInstallation } from '../api/v1alpha1/index.js';
import { InjectionRegistry } from './registry.js';

function registry(mesh: MeshInstallation): InjectionRegistry {
  // The node informer only connects on start(); these tests never start it.
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const result = new InjectionRegistry(kubeConfig, pino({ level: 'silent' }));
  result.update(mesh.metadata!.name!, mesh as unknown as Record<string, unknown>);
  return result;
}

const proxyTag = (r: InjectionRegistry, revision: string) => r.resolve('main', revision)?.config.tag;
const discovery = (r: InjectionRegistry, revision: string) => r.resolve('main', revision)?.config.mesh.defaultConfig?.discoveryAddress;

test('in place: a fresh install injects the spec version; during an upgrade, the version istiod has rolled out', () => {
  const fresh = registry({ metadata: { name: 'main' }, spec: { version: '1.30.3' } });
  assert.is(proxyTag(fresh, 'default'), '1.30.3');
  assert.is(fresh.resolve('main', '1-30-3'), undefined, 'no such revision');

  const upgrading = registry({
    metadata: { name: 'main' },
    spec: { version: '1.30.3' },
    status: { revisions: [{ name: 'default', version: '1.29.8', ready: false, inUse: true }] },
  });
  assert.is(upgrading.injectedVersion('main', 'default'), '1.29.8');
  assert.is(proxyTag(upgrading, 'default'), '1.29.8');
});

test('revision-based: every live revision is served, each with its own version and istiod', () => {
  const canary = registry({
    metadata: { name: 'main' },
    spec: { version: '1.30.3', updateStrategy: { type: 'RevisionBased' } },
    status: { revisions: [{ name: '1-30-3', version: '1.30.3' }, { name: '1-29-8', version: '1.29.8' }] },
  });
  assert.is(proxyTag(canary, '1-30-3'), '1.30.3');
  assert.is(proxyTag(canary, '1-29-8'), '1.29.8');
  assert.is(discovery(canary, '1-29-8'), 'istiod-1-29-8.istio-system.svc:15012');
  assert.is(canary.resolve('main', '1-29-8')?.config.revision, '1-29-8');
  assert.is(canary.resolve('main', '1-28-0'), undefined);
  assert.is(canary.resolve('other', '1-30-3'), undefined, 'unknown installation');
});

test('injection turned off, or a version outside the catalogue, serves nothing', () => {
  assert.is(registry({ metadata: { name: 'main' }, spec: { version: '1.30.3', injection: { enabled: false } } }).resolve('main', 'default'), undefined);
  assert.is(registry({ metadata: { name: 'main' }, spec: { version: '1.31.0' } }).resolve('main', 'default'), undefined);
});

test.run();
