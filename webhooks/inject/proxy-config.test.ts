// ProxyConfig: reading the annotation like Istio's protomarshal, merging, and the PROXY_CONFIG text
// (cleanProxyConfig + jsonpb), whose exact bytes the proxy's env carries.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultProxyConfig, mergeProxyConfig, parseProxyConfig, protoDurationSeconds, proxyConfigJson, ProxyConfigError } from './proxy-config.js';

const test = suite('ProxyConfig');

test('a ProxyConfig equal to the defaults writes {} (Istio TestCleanProxyConfig "default")', () => {
  assert.is(proxyConfigJson(defaultProxyConfig()), '{}');
  assert.is(proxyConfigJson(mergeProxyConfig(defaultProxyConfig(), { drainDuration: '45s', configPath: './etc/istio/proxy' })), '{}');
});

test('overrides are written in proto declaration order (Istio TestCleanProxyConfig "overrides")', () => {
  const config = mergeProxyConfig(defaultProxyConfig(), { proxyMetadata: { foo: 'barr' }, drainDuration: '7s', configPath: '/foo/bar' });
  assert.is(proxyConfigJson(config), '{"configPath":"/foo/bar","drainDuration":"7s","proxyMetadata":{"foo":"barr"}}');
});

test('zero scalars and zero enums are dropped, set wrappers and messages are kept', () => {
  const config = parseProxyConfig('interceptionMode: REDIRECT\nstatusPort: 0\nconcurrency: 0\nholdApplicationUntilProxyStarts: false\ntracing: {}');
  assert.is(proxyConfigJson(config), '{"concurrency":0,"tracing":{},"holdApplicationUntilProxyStarts":false}');
  assert.is(proxyConfigJson({ interceptionMode: 'TPROXY' }), '{"interceptionMode":"TPROXY"}');
});

test('durations accept Go syntax and are written as jsonpb seconds', () => {
  assert.is(parseProxyConfig('terminationDrainDuration: 1m30s').terminationDrainDuration, '90s');
  assert.is(parseProxyConfig('drainDuration: 1500ms').drainDuration, '1.500s');
  assert.is(parseProxyConfig('drainDuration: 250us').drainDuration, '0.000250s');
  assert.is(protoDurationSeconds('1.500s'), 1.5);
});

test('JSON works as well as YAML; snake_case names and unknown fields are accepted like protojson', () => {
  const config = parseProxyConfig('{"termination_drain_duration": "20s", "somethingNew": 1}');
  assert.equal(config, { terminationDrainDuration: '20s' });
});

test('proxyMetadata merges key by key; other fields replace', () => {
  const merged = mergeProxyConfig({ proxyMetadata: { A: '1', B: '2' }, tracing: { zipkin: {} } }, { proxyMetadata: { B: '3' }, tracing: {} });
  assert.equal(merged, { proxyMetadata: { A: '1', B: '3' }, tracing: {} });
});

test('values of the wrong type are errors that name the field', () => {
  assert.throws(() => parseProxyConfig('statusPort: high'), (err: Error) => err instanceof ProxyConfigError && err.message.includes('"statusPort"'));
  assert.throws(() => parseProxyConfig('interceptionMode: SOMETIMES'), /interceptionMode/);
  assert.throws(() => parseProxyConfig('- a list'), /cannot unmarshal array/);
});

test.run();
