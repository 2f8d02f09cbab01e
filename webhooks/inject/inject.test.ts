// injectPod beyond the goldens' default settings: idempotent re-injection, user overrides across
// re-injection, the post-processing steps (webhook URL env, Prometheus merge, probe rewrite, ordering) and the
// configuration knobs Istio takes from values and mesh config.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultInjectionConfig } from './config.js';
import { injectPod } from './inject.js';
import { effectiveProxyConfig, ProxyConfigError } from './proxy-config.js';
import { loadCases, objectToPods, readCaseFile, yamlDocuments } from './testing/istio-cases.js';
import type { Container, InjectionConfig, Pod } from './types.js';
import { InjectionValidationError } from './validation.js';

const webhookConfig = (overrides: Partial<InjectionConfig> = {}): InjectionConfig => ({
  ...defaultInjectionConfig(),
  revision: 'default',
  ...overrides,
});

function appPod(extra: { annotations?: Record<string, string>; labels?: Record<string, string>; containers?: Container[]; initContainers?: Container[] } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'shop', annotations: extra.annotations, labels: extra.labels },
    spec: { containers: extra.containers ?? [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080, name: 'http' }] }], initContainers: extra.initContainers },
  };
}

const inject = (pod: Pod, config = webhookConfig(), options = {}) => {
  const result = injectPod(pod, 'shop', config, options);
  assert.ok(result.injected, 'pod was injected');
  return result.pod;
};
const proxyOf = (pod: Pod): Container =>
  [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers].find((c) => c.name === 'istio-proxy')!;
const envOf = (pod: Pod, name: string) => proxyOf(pod).env?.find((env) => env.name === name);

const idempotent = suite('re-injection is idempotent (Istio strips what the status annotation lists, then re-renders)');

// proxy-override.yaml is left out on purpose: Istio re-renders every container its status annotation lists,
// so the user's istio-init args and proxy settings do not survive a second injection (see the test below).
for (const testCase of loadCases().filter((c) => c.webhookChecked && c.input !== 'proxy-override.yaml')) {
  idempotent(`${testCase.input}: injecting the injected pod again changes nothing`, () => {
    for (const pod of yamlDocuments(readCaseFile(testCase.input)).flatMap(objectToPods)) {
      const once = injectPod(pod, pod.metadata?.namespace || 'default', webhookConfig());
      const twice = injectPod(once.pod, pod.metadata?.namespace || 'default', webhookConfig());
      assert.equal(twice.pod, once.pod);
    }
  });
}

const customProxy = () =>
  appPod({ containers: [{ name: 'web', image: 'web:1' }, { name: 'istio-proxy', image: 'auto', resources: { limits: { cpu: '3000m' } } }] });

idempotent('a user istio-proxy is merged over the injected one and recorded in proxy.istio.io/overrides', () => {
  const once = inject(customProxy());
  assert.is(proxyOf(once).resources!.limits!['cpu'], '3');
  assert.is(proxyOf(once).image, 'registry.istio.io/testing/proxyv2:latest');
  assert.is(
    once.metadata!.annotations!['proxy.istio.io/overrides'],
    '{"initContainers":[{"name":"istio-proxy","resources":{"limits":{"cpu":"3"}}}]}',
  );
});

idempotent('as in Istio, a container the status annotation lists is re-rendered from the template on re-injection', () => {
  const twice = inject(inject(customProxy()));
  assert.is(proxyOf(twice).resources!.limits!['cpu'], '2');
});

idempotent('the recorded override is applied again when the pod carries it without a status annotation', () => {
  const once = inject(customProxy());
  const template = structuredClone(once);
  delete template.metadata!.annotations!['sidecar.istio.io/status'];
  template.spec!.initContainers = [];
  const again = inject(template);
  assert.is(proxyOf(again).resources!.limits!['cpu'], '3');
  assert.is(again.metadata!.annotations!['proxy.istio.io/overrides'], once.metadata!.annotations!['proxy.istio.io/overrides']);
});

idempotent.run();

const post = suite('post-processing');

post('webhook URL env (/inject/cluster/<id>/net/<net>) replaces the template values, appended sorted, and labels the network', () => {
  const pod = inject(appPod(), webhookConfig(), { proxyEnvOverrides: { ISTIO_META_CLUSTER_ID: 'east', ISTIO_META_NETWORK: 'net-east' } });
  const names = proxyOf(pod).env!.map((env) => env.name);
  assert.equal(names.filter((name) => name === 'ISTIO_META_CLUSTER_ID').length, 1);
  assert.equal(names.slice(-2), ['ISTIO_META_CLUSTER_ID', 'ISTIO_META_NETWORK']);
  assert.is(envOf(pod, 'ISTIO_META_CLUSTER_ID')!.value, 'east');
  assert.is(pod.metadata!.labels!['topology.istio.io/network'], 'net-east');
});

post("the pod's topology.istio.io/network label beats the configured network", () => {
  const pod = inject(appPod({ labels: { 'topology.istio.io/network': 'mine' } }), webhookConfig({ network: 'values-net' }));
  assert.is(envOf(pod, 'ISTIO_META_NETWORK')!.value, 'mine');
});

post("Prometheus merge moves the app's annotations into ISTIO_PROMETHEUS_ANNOTATIONS", () => {
  const pod = inject(appPod({ annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io.path': '/m' } }));
  assert.is(envOf(pod, 'ISTIO_PROMETHEUS_ANNOTATIONS')!.value, '{"scrape":"true","path":"/m","port":"9090"}');
  assert.is(pod.metadata!.annotations!['prometheus.io/port'], '15020');
  assert.is(pod.metadata!.annotations!['prometheus.io.path'], undefined);
});

post('prometheus.istio.io/merge-metrics "false" and mesh enablePrometheusMerge false both turn merging off', () => {
  const byAnnotation = inject(appPod({ annotations: { 'prometheus.istio.io/merge-metrics': 'false' } }));
  assert.is(byAnnotation.metadata!.annotations!['prometheus.io/port'], undefined);
  const config = webhookConfig();
  config.mesh = { ...config.mesh, enablePrometheusMerge: false };
  assert.is(inject(appPod(), config).metadata!.annotations!['prometheus.io/port'], undefined);
});

post('an HTTPS probe is rewritten to plain HTTP on the status port annotation, keeping its headers', () => {
  const pod = inject(
    appPod({
      annotations: { 'status.sidecar.istio.io/port': '16000' },
      containers: [{ name: 'web', image: 'w', readinessProbe: { httpGet: { path: '/ready', port: 8443, scheme: 'HTTPS', httpHeaders: [{ name: 'X', value: '1' }] }, timeoutSeconds: 2 } }],
    }),
  );
  assert.equal(pod.spec!.containers[0]!.readinessProbe, {
    httpGet: { path: '/app-health/web/readyz', port: 16000, scheme: 'HTTP', httpHeaders: [{ name: 'X', value: '1' }] },
    timeoutSeconds: 2,
  });
  assert.is(
    envOf(pod, 'ISTIO_KUBE_APP_PROBERS')!.value,
    '{"/app-health/web/readyz":{"httpGet":{"path":"/ready","port":8443,"scheme":"HTTPS","httpHeaders":[{"name":"X","value":"1"}]},"timeoutSeconds":2}}',
  );
});

post('a grpc probe becomes an httpGet on the agent; rewriting can be switched off in config', () => {
  const grpc = appPod({ containers: [{ name: 'web', image: 'w', livenessProbe: { grpc: { port: 9000 } } }] });
  assert.equal(inject(grpc).spec!.containers[0]!.livenessProbe, { httpGet: { path: '/app-health/web/livez', port: 15020 } });
  const untouched = inject(grpc, webhookConfig({ rewriteAppHTTPProbe: false }));
  assert.equal(untouched.spec!.containers[0]!.livenessProbe, { grpc: { port: 9000 } });
  assert.is(envOf(untouched, 'ISTIO_KUBE_APP_PROBERS'), undefined);
});

post('classic mode: holdApplicationUntilProxyStarts puts istio-proxy first with a postStart wait; istio-init runs after user init containers', () => {
  const pod = inject(
    appPod({ annotations: { 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true}' }, initContainers: [{ name: 'migrate', image: 'm' }] }),
    webhookConfig({ nativeSidecars: false }),
  );
  assert.equal(pod.spec!.containers.map((c) => c.name), ['istio-proxy', 'web']);
  assert.equal(pod.spec!.initContainers!.map((c) => c.name), ['migrate', 'istio-init']);
  assert.equal(proxyOf(pod).lifecycle, { postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
});

post('native mode: the proxy and istio-init run before user init containers, with the drain preStop', () => {
  const pod = inject(appPod({ initContainers: [{ name: 'migrate', image: 'm' }] }));
  assert.equal(pod.spec!.initContainers!.map((c) => c.name), ['istio-init', 'istio-proxy', 'migrate']);
  assert.equal(proxyOf(pod).lifecycle!.preStop!.exec!.command, ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain']);
});

post.run();

const knobs = suite('configuration knobs');

knobs('CNI: istio-validation runs as the proxy user and the iptables settings travel as annotations', () => {
  const pod = inject(appPod({ annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' } }), webhookConfig({ cni: true }));
  const validation = pod.spec!.initContainers![0]!;
  assert.is(validation.name, 'istio-validation');
  assert.equal(validation.args!.slice(-2), ['--run-validation', '--skip-rule-apply']);
  assert.equal(validation.securityContext!.capabilities, { drop: ['ALL'] });
  assert.is(validation.securityContext!.runAsUser, 1337);
  assert.is(pod.metadata!.annotations!['traffic.sidecar.istio.io/excludeInboundPorts'], '15020');
  assert.is(pod.metadata!.annotations!['traffic.sidecar.istio.io/excludeOutboundPorts'], '5432');
});

knobs('TPROXY: the proxy gets NET_ADMIN and runs as root; -m TPROXY', () => {
  const pod = inject(appPod({ annotations: { 'sidecar.istio.io/interceptionMode': 'TPROXY' } }));
  assert.ok(pod.spec!.initContainers![0]!.args!.join(' ').includes('-m TPROXY'));
  assert.equal(proxyOf(pod).securityContext!.capabilities, { add: ['NET_ADMIN'], drop: ['ALL'] });
  assert.is(proxyOf(pod).securityContext!.runAsUser, 0);
});

knobs('interceptionMode NONE: no istio-init at all', () => {
  const pod = inject(appPod({ annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }));
  assert.equal(pod.spec!.initContainers!.map((c) => c.name), ['istio-proxy']);
});

knobs('image pull policy and secrets from values; a proxyImage annotation with a registry wins', () => {
  const pod = inject(
    appPod({ annotations: { 'sidecar.istio.io/proxyImage': 'mirror.example/istio/proxyv2:1.30.3' } }),
    webhookConfig({ imagePullPolicy: 'Always', imagePullSecrets: ['regcred'] }),
  );
  assert.is(proxyOf(pod).imagePullPolicy, 'Always');
  assert.is(proxyOf(pod).image, 'mirror.example/istio/proxyv2:1.30.3');
  assert.equal(pod.spec!.imagePullSecrets, [{ name: 'regcred' }]);
  assert.match(pod.metadata!.annotations!['sidecar.istio.io/status']!, '"imagePullSecrets":["regcred"]');
});

knobs('variant and sidecar.istio.io/proxyImageType pick the image flavour', () => {
  assert.is(proxyOf(inject(appPod(), webhookConfig({ variant: 'distroless', tag: '1.30.3' }))).image, 'registry.istio.io/testing/proxyv2:1.30.3-distroless');
  const debug = inject(appPod({ annotations: { 'sidecar.istio.io/proxyImageType': 'debug' } }), webhookConfig({ tag: '1.30.3-distroless' }));
  assert.is(proxyOf(debug).image, 'registry.istio.io/testing/proxyv2:1.30.3-debug');
});

knobs('a revision names its istiod in CA_ADDR and the istio.io/rev annotation', () => {
  const pod = inject(appPod(), webhookConfig({ revision: '1-30-3' }));
  assert.is(envOf(pod, 'CA_ADDR')!.value, 'istiod-1-30-3.istio-system.svc:15012');
  assert.is(pod.metadata!.annotations!['istio.io/rev'], '1-30-3');
});

knobs('mesh proxyMetadata becomes env on the proxy and the init container; the pod annotation adds to it', () => {
  const config = webhookConfig();
  config.mesh = { ...config.mesh, defaultConfig: { ...config.mesh.defaultConfig, proxyMetadata: { A: '1', B: '2' } } };
  const pod = inject(appPod({ annotations: { 'proxy.istio.io/config': 'proxyMetadata: {B: "3"}' } }), config);
  assert.is(envOf(pod, 'A')!.value, '1');
  assert.is(envOf(pod, 'B')!.value, '3');
  assert.equal(pod.spec!.initContainers![0]!.env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }]);
  assert.is(envOf(pod, 'PROXY_CONFIG')!.value, '{"proxyMetadata":{"A":"1","B":"3"}}\n');
});

knobs('effectiveProxyConfig: the annotation beats the mesh default, which beats Istio’s 5s', () => {
  const config = webhookConfig();
  assert.is(effectiveProxyConfig(appPod(), config).terminationDrainDuration, '5s');
  config.mesh = { ...config.mesh, defaultConfig: { terminationDrainDuration: '20s' } };
  assert.is(effectiveProxyConfig(appPod(), config).terminationDrainDuration, '20s');
  const annotated = appPod({ annotations: { 'proxy.istio.io/config': 'terminationDrainDuration: 1m30s' } });
  assert.is(effectiveProxyConfig(annotated, config).terminationDrainDuration, '90s');
  assert.throws(
    () => effectiveProxyConfig(appPod({ annotations: { 'proxy.istio.io/config': 'terminationDrainDuration: soon' } }), config),
    (err: Error) => err instanceof ProxyConfigError && err.message.includes('invalid duration "soon"'),
  );
});

knobs('invalid annotations are all reported, in one error, with Istio’s wording', () => {
  const bad = appPod({ annotations: { 'status.sidecar.istio.io/port': 'x', 'sidecar.istio.io/proxyCPU': 'lots', 'traffic.sidecar.istio.io/excludeInterfaces': 'eth0,this-name-is-far-too-long' } });
  try {
    injectPod(bad, 'shop', webhookConfig());
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, InjectionValidationError);
    const error = err as InjectionValidationError;
    assert.is(error.problems.length, 3);
    assert.ok(error.message.startsWith('3 errors occurred:\n\t* invalid value '));
    assert.match(error.message, `invalid value 'lots' for annotation 'sidecar.istio.io/proxyCPU': quantities must match the regular expression`);
    assert.match(error.message, `interface name "this-name-is-far-too-long" too long (max 15 chars)`);
  }
});

knobs('the pod given to injectPod is never modified', () => {
  const pod = appPod({ annotations: { 'prometheus.io/port': '9090' } });
  const snapshot = structuredClone(pod);
  inject(pod);
  assert.equal(pod, snapshot);
});

knobs.run();
