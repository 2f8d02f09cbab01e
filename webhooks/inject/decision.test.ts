// The injection decision istiod makes for a pod the API server sent it (injection.md §1.3 rows decided in
// code, and §1.4 injectRequired), and the native-sidecar rule for ENABLE_NATIVE_SIDECARS=auto.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultInjectionConfig } from './config.js';
import { decideInjection, nativeSidecarsForNodes, usesNativeSidecar } from './decision.js';
import { injectPod } from './inject.js';
import type { InjectionConfig, LabelSelector, Pod } from './types.js';

function pod(options: { labels?: Record<string, string>; annotations?: Record<string, string>; hostNetwork?: boolean; nodeName?: string } = {}): Pod {
  return {
    metadata: { name: 'app', labels: options.labels, annotations: options.annotations },
    spec: { hostNetwork: options.hostNetwork, nodeName: options.nodeName, containers: [{ name: 'app', image: 'app' }] },
  };
}

function config(overrides: Partial<InjectionConfig> = {}): InjectionConfig {
  return { ...defaultInjectionConfig(), ...overrides };
}

const decide = (p: Pod, c: InjectionConfig = config(), namespace = 'shop') => decideInjection(p, namespace, c);
const skipReason = (p: Pod, c?: InjectionConfig, namespace?: string) => {
  const decision = decide(p, c, namespace);
  return decision.inject ? 'inject' : decision.reason;
};

const never: LabelSelector = { matchLabels: { tier: 'db' } };
const always: LabelSelector = { matchExpressions: [{ key: 'mesh', operator: 'Exists' }] };

const required = suite('injectRequired (injection.md §1.4)');

required('a pod with no opinion is injected under policy enabled', () => {
  assert.is(skipReason(pod()), 'inject');
});

required('hostNetwork is never injected, even when the pod asks for it', () => {
  assert.is(skipReason(pod({ hostNetwork: true, labels: { 'sidecar.istio.io/inject': 'true' } })), 'hostNetwork');
});

required('system namespaces are skipped in code whatever their labels', () => {
  for (const namespace of ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']) {
    assert.is(skipReason(pod({ labels: { 'sidecar.istio.io/inject': 'true' } }), config(), namespace), 'ignoredNamespace');
  }
});

required('annotation sidecar.istio.io/inject "false" alone skips (§1.3: webhook called, injectRequired false)', () => {
  assert.is(skipReason(pod({ annotations: { 'sidecar.istio.io/inject': 'false' } })), 'injectDisabled');
});

required('the label wins over the annotation of the same name, both ways', () => {
  assert.is(skipReason(pod({ labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'sidecar.istio.io/inject': 'false' } })), 'inject');
  assert.is(skipReason(pod({ labels: { 'sidecar.istio.io/inject': 'false' }, annotations: { 'sidecar.istio.io/inject': 'true' } })), 'injectDisabled');
});

required('yes/on/y/true (any case) mean inject; an empty label falls back to the default', () => {
  for (const value of ['y', 'YES', 'On', 'true']) assert.is(skipReason(pod({ labels: { 'sidecar.istio.io/inject': value } }), config({ policy: 'disabled' })), 'inject');
  assert.is(skipReason(pod({ labels: { 'sidecar.istio.io/inject': '' } }), config({ policy: 'disabled' })), 'policy');
});

required('an unrecognised value does not inject', () => {
  assert.is(skipReason(pod({ labels: { 'sidecar.istio.io/inject': 'random' } })), 'injectDisabled');
});

required('neverInjectSelector beats alwaysInjectSelector when both match', () => {
  const c = config({ neverInjectSelector: [never], alwaysInjectSelector: [always] });
  assert.is(skipReason(pod({ labels: { tier: 'db', mesh: 'x' } }), c), 'neverInjectSelector');
});

required('an explicit "true" wins over a matching neverInjectSelector', () => {
  const c = config({ neverInjectSelector: [never] });
  assert.is(skipReason(pod({ labels: { tier: 'db' }, annotations: { 'sidecar.istio.io/inject': 'true' } }), c), 'inject');
});

required('an explicit "false" wins over a matching alwaysInjectSelector', () => {
  const c = config({ alwaysInjectSelector: [always], policy: 'disabled' });
  assert.is(skipReason(pod({ labels: { mesh: 'x', 'sidecar.istio.io/inject': 'false' } }), c), 'injectDisabled');
});

required('policy disabled: only explicit opt-in or alwaysInjectSelector injects', () => {
  const c = config({ policy: 'disabled', alwaysInjectSelector: [always] });
  assert.is(skipReason(pod(), c), 'policy');
  assert.is(skipReason(pod({ labels: { mesh: 'x' } }), c), 'inject');
  assert.is(skipReason(pod({ annotations: { 'sidecar.istio.io/inject': 'true' } }), c), 'inject');
});

required('an empty selector matches nothing', () => {
  assert.is(skipReason(pod({ labels: { a: 'b' } }), config({ neverInjectSelector: [{}] })), 'inject');
});

required('selector operators In, NotIn and DoesNotExist', () => {
  const c = config({
    neverInjectSelector: [
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
      { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['core'] }, { key: 'legacy', operator: 'DoesNotExist' }] },
    ],
  });
  assert.is(skipReason(pod({ labels: { env: 'dev', team: 'core' } }), c), 'neverInjectSelector');
  assert.is(skipReason(pod({ labels: { team: 'web' } }), c), 'neverInjectSelector');
  assert.is(skipReason(pod({ labels: { team: 'core' } }), c), 'inject');
  assert.is(skipReason(pod({ labels: { team: 'web', legacy: 'y' } }), c), 'inject');
});

required('injectPod returns the pod untouched with the reason when it skips', () => {
  const input = pod({ annotations: { 'sidecar.istio.io/inject': 'false' } });
  const result = injectPod(input, 'shop', config());
  assert.is(result.injected, false);
  assert.equal(result.pod, input);
  if (!result.injected) assert.is(result.skipReason, 'injectDisabled');
});

required.run();

const native = suite('native sidecars: ENABLE_NATIVE_SIDECARS=auto and the per-pod annotation');

const nodes = (...versions: string[]) => versions.map((kubeletVersion, i) => ({ name: `node-${i}`, kubeletVersion }));

native('auto is on only when every node runs kubelet >= 1.33', () => {
  assert.is(nativeSidecarsForNodes({ mode: 'auto', nodes: nodes('v1.33.0', 'v1.34.0') }, undefined), true);
  assert.is(nativeSidecarsForNodes({ mode: 'auto', nodes: nodes('v1.33.0', 'v1.28.3') }, undefined), false);
  assert.is(nativeSidecarsForNodes({ mode: 'auto', nodes: nodes('v1.33.1-eks-1234', 'v2.0.0+k3s1') }, undefined), true);
  assert.is(nativeSidecarsForNodes({ mode: 'auto', nodes: nodes('garbage') }, undefined), false);
});

native("a pod with nodeName is judged by that node alone when the node is known", () => {
  const mixed = { mode: 'auto' as const, nodes: nodes('v1.33.0', 'v1.28.3') };
  assert.is(nativeSidecarsForNodes(mixed, 'node-0'), true);
  assert.is(nativeSidecarsForNodes(mixed, 'node-1'), false);
  assert.is(nativeSidecarsForNodes(mixed, 'unknown-node'), false);
});

native('a forced setting ignores nodes; the annotation overrides everything ("false" only turns it off)', () => {
  assert.is(usesNativeSidecar(pod(), config({ nativeSidecars: false })), false);
  assert.is(usesNativeSidecar(pod({ annotations: { 'sidecar.istio.io/nativeSidecar': 'true' } }), config({ nativeSidecars: false })), true);
  assert.is(usesNativeSidecar(pod({ annotations: { 'sidecar.istio.io/nativeSidecar': 'false' } }), config({ nativeSidecars: true })), false);
  assert.is(usesNativeSidecar(pod({ annotations: { 'sidecar.istio.io/nativeSidecar': 'False' } }), config({ nativeSidecars: false })), true);
});

native('injectPod places istio-proxy by the decision: init container or last app container', () => {
  const inNodes = injectPod(pod({ nodeName: 'node-1' }), 'shop', config({ nativeSidecars: { mode: 'auto', nodes: nodes('v1.34.0', 'v1.29.0') } }));
  assert.equal(inNodes.pod.spec!.containers.map((c) => c.name), ['app', 'istio-proxy']);
  const native = injectPod(pod({ nodeName: 'node-0' }), 'shop', config({ nativeSidecars: { mode: 'auto', nodes: nodes('v1.34.0', 'v1.29.0') } }));
  assert.equal(native.pod.spec!.initContainers!.map((c) => c.name), ['istio-init', 'istio-proxy']);
});

native.run();
