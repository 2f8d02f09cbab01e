import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANNOTATIONS } from '../operator/api/names.js';
import {
  effectiveDrain,
  enforceGracefulDrain,
  InvalidDurationError,
  parseGoDuration,
} from './drain.js';
import type { Container, Pod } from './inject/index.js';

/** An injected pod: the app plus istio-proxy, classic (containers) or native (initContainers). */
function injectedPod(options: { grace?: number; proxyEnv?: Container['env']; native?: boolean } = {}): Pod {
  const proxy: Container = { name: 'istio-proxy', image: 'proxyv2', env: options.proxyEnv };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'shop', namespace: 'shop', annotations: { team: 'checkout' } },
    spec: {
      ...(options.grace !== undefined && { terminationGracePeriodSeconds: options.grace }),
      containers: [{ name: 'app', image: 'app' }, ...(options.native ? [] : [proxy])],
      initContainers: options.native ? [proxy] : [],
    },
  };
}

test('parseGoDuration reads Go duration strings', () => {
  const cases: Array<[string, number]> = [
    ['45s', 45],
    ['1m30s', 90],
    ['1.5s', 1.5],
    ['500ms', 0.5],
    ['2h45m', 9900],
    ['.5s', 0.5],
    ['1.s', 1],
    ['250us', 0.00025],
    ['250µs', 0.00025],
    ['-2s', -2],
    ['+3s', 3],
    ['0', 0],
    ['1h0m0.5s', 3600.5],
  ];
  for (const [text, seconds] of cases) assert.ok(Math.abs(parseGoDuration(text)! - seconds) < 1e-9, text);
});

test('parseGoDuration refuses what Go refuses', () => {
  for (const text of ['', '45', 's', '1x', '1.2.3s', '1s ', ' 1s', 'abc', '-', '1S', '.s', '5 s']) {
    assert.is(parseGoDuration(text), undefined, JSON.stringify(text));
  }
});

test("drain: the effective proxy config's terminationDrainDuration, in any Go duration form", () => {
  assert.equal(effectiveDrain(injectedPod(), { terminationDrainDuration: '45s' }), { seconds: 45, setting: 'terminationDrainDuration' });
  assert.is(effectiveDrain(injectedPod(), { terminationDrainDuration: '1m30s' }).seconds, 90);
});

test("drain: Istio's 5s applies when nothing is set", () => {
  assert.equal(effectiveDrain(injectedPod(), {}), { seconds: 5, setting: 'terminationDrainDuration' });
});

test('drain: EXIT_ON_ZERO_ACTIVE_CONNECTIONS in proxyMetadata makes MINIMUM_DRAIN_DURATION (default 5s) count', () => {
  const proxyConfig = { terminationDrainDuration: '600s', proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' } };
  assert.equal(effectiveDrain(injectedPod(), proxyConfig), { seconds: 5, setting: 'MINIMUM_DRAIN_DURATION' });
  const withMinimum = { ...proxyConfig, proxyMetadata: { ...proxyConfig.proxyMetadata, MINIMUM_DRAIN_DURATION: '40s' } };
  assert.is(effectiveDrain(injectedPod(), withMinimum).seconds, 40);
});

test('drain: env on the istio-proxy container reaches the proxy, native sidecar included', () => {
  const pod = injectedPod({
    native: true,
    proxyEnv: [
      { name: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', value: '1' },
      { name: 'MINIMUM_DRAIN_DURATION', value: '2m' },
    ],
  });
  assert.equal(effectiveDrain(pod, { terminationDrainDuration: '10s' }), { seconds: 120, setting: 'MINIMUM_DRAIN_DURATION' });
});

test('drain: container env overrides proxyMetadata, and only Go truth values enable exit-on-zero', () => {
  const disabled = injectedPod({ proxyEnv: [{ name: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', value: 'false' }] });
  const metadata = { terminationDrainDuration: '20s', proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' } };
  assert.is(effectiveDrain(disabled, metadata).setting, 'terminationDrainDuration');
  const yes = { terminationDrainDuration: '20s', proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'yes' } };
  assert.is(effectiveDrain(injectedPod(), yes).seconds, 20);
});

test('drain: an unparsable MINIMUM_DRAIN_DURATION falls back to 5s like pilot-agent', () => {
  const proxyConfig = { proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true', MINIMUM_DRAIN_DURATION: 'soon' } };
  assert.is(effectiveDrain(injectedPod(), proxyConfig).seconds, 5);
});

test('drain: an unparsable terminationDrainDuration is a typed error naming the value', () => {
  assert.throws(
    () => effectiveDrain(injectedPod(), { terminationDrainDuration: 'forever' }),
    (error: unknown) => error instanceof InvalidDurationError && error.message.includes('"forever"'),
  );
});

test('grace above the drain is compliant and leaves the pod untouched', () => {
  const pod = injectedPod({ grace: 46 });
  const decision = enforceGracefulDrain(pod, { terminationDrainDuration: '45s' }, 'Adjust');
  assert.is(decision.action, 'compliant');
  if (decision.action === 'compliant') assert.is(decision.pod, pod);
});

test('grace defaults to 30: a 30s drain is not below it', () => {
  const decision = enforceGracefulDrain(injectedPod(), { terminationDrainDuration: '30s' }, 'Adjust');
  assert.is(decision.action, 'adjusted');
  assert.is(decision.graceSeconds, 30);
  assert.is(enforceGracefulDrain(injectedPod(), { terminationDrainDuration: '29.5s' }, 'Adjust').action, 'compliant');
});

test('Adjust raises grace to drain + 5s, records it in the annotation and warns', () => {
  const pod = injectedPod({ grace: 30 });
  const decision = enforceGracefulDrain(pod, { terminationDrainDuration: '45s' }, 'Adjust');
  if (decision.action !== 'adjusted') return assert.unreachable(decision.action);
  assert.is(decision.pod.spec?.terminationGracePeriodSeconds, 50);
  assert.equal(decision.pod.metadata?.annotations, {
    team: 'checkout',
    [ANNOTATIONS.gracePeriodAdjusted]: '30s->50s: terminationDrainDuration 45s',
  });
  assert.match(decision.warning, 'from 30 to 50');
  assert.ok(decision.warning.length <= 256, 'API server may truncate longer warnings');
  // The input pod is not mutated.
  assert.is(pod.spec?.terminationGracePeriodSeconds, 30);
  assert.equal(pod.metadata?.annotations, { team: 'checkout' });
});

test('Adjust rounds a fractional drain up before adding the margin', () => {
  const decision = enforceGracefulDrain(injectedPod({ grace: 10 }), { terminationDrainDuration: '45.2s' }, 'Adjust');
  if (decision.action !== 'adjusted') return assert.unreachable(decision.action);
  assert.is(decision.adjustedGraceSeconds, 51);
  assert.is(decision.pod.metadata?.annotations?.[ANNOTATIONS.gracePeriodAdjusted], '10s->51s: terminationDrainDuration 45.2s');
});

test('Adjust names MINIMUM_DRAIN_DURATION when the proxy exits on zero connections', () => {
  const proxyConfig = { proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true', MINIMUM_DRAIN_DURATION: '60s' } };
  const decision = enforceGracefulDrain(injectedPod({ grace: 0 }), proxyConfig, 'Adjust');
  if (decision.action !== 'adjusted') return assert.unreachable(decision.action);
  assert.is(decision.pod.metadata?.annotations?.[ANNOTATIONS.gracePeriodAdjusted], '0s->65s: MINIMUM_DRAIN_DURATION 60s');
});

test('Warn keeps the pod and returns a warning with both values and the fix', () => {
  const pod = injectedPod({ grace: 20 });
  const decision = enforceGracefulDrain(pod, { terminationDrainDuration: '45s' }, 'Warn');
  if (decision.action !== 'warned') return assert.unreachable(decision.action);
  assert.is(decision.pod, pod);
  assert.match(decision.warning, 'terminationGracePeriodSeconds 20');
  assert.match(decision.warning, 'terminationDrainDuration 45s');
  assert.match(decision.warning, 'at least 50');
  assert.ok(decision.warning.length <= 256);
});

test('Reject denies with both values and the fix', () => {
  const decision = enforceGracefulDrain(injectedPod({ grace: 30 }), { terminationDrainDuration: '45s' }, 'Reject');
  if (decision.action !== 'rejected') return assert.unreachable(decision.action);
  assert.match(decision.message, 'terminationGracePeriodSeconds 30');
  assert.match(decision.message, 'terminationDrainDuration 45s');
  assert.match(decision.message, 'spec.terminationGracePeriodSeconds to at least 50');
  assert.match(decision.message, 'proxy.istio.io/config');
});

test.run();
