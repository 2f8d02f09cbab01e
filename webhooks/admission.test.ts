import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANNOTATIONS } from '../operator/api/names.js';
import {
  admit,
  MalformedAdmissionReviewError,
  parseAdmissionReview,
  type AdmissionResult,
  type AdmissionReviewRequest,
  type InjectionSettings,
} from './admission.js';
import type { GracePeriodPolicy } from './drain.js';
import { defaultInjectionConfig, type InjectionConfig, type Pod } from './inject/index.js';
import { applyJsonPatch } from './inject/testing/json-patch.js';

const target = { installation: 'default', revision: 'default' };

function settings(policy: GracePeriodPolicy = 'Adjust', defaultDrain?: string): InjectionSettings {
  return { config: defaultInjectionConfig(), drain: { policy, defaultDrain } };
}

function pod(options: { annotations?: Record<string, string>; labels?: Record<string, string>; grace?: number; namespace?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'hello',
      namespace: options.namespace ?? 'shop',
      labels: { app: 'hello', ...options.labels },
      annotations: options.annotations,
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' }],
    },
    spec: {
      containers: [{ name: 'hello', image: 'hello:1', ports: [{ containerPort: 8080 }] }],
      ...(options.grace !== undefined && { terminationGracePeriodSeconds: options.grace }),
    },
  };
}

function review(object: unknown, overrides: Record<string, unknown> = {}): AdmissionReviewRequest {
  return parseAdmissionReview({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'shop',
      object,
      ...overrides,
    },
  });
}

/** The pod the API server stores: `document` with the response's patch applied. */
function applyPatch(document: Pod, result: AdmissionResult): Pod {
  const encoded = result.review.response.patch;
  return encoded ? applyJsonPatch(document, JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'))) : document;
}

const names = (containers: Array<{ name: string }> | undefined) => (containers ?? []).map((c) => c.name);
const proxyNames = (p: Pod) => [...names(p.spec?.containers), ...names(p.spec?.initContainers)].filter((n) => n === 'istio-proxy');

test('parseAdmissionReview names what is wrong with a request', () => {
  const valid = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: pod() },
  };
  const cases: Array<[unknown, string]> = [
    [[], 'not a JSON object'],
    [{ ...valid, kind: 'Pod' }, 'kind is "Pod"'],
    [{ ...valid, apiVersion: 'admission.k8s.io/v1beta1' }, 'apiVersion is "admission.k8s.io/v1beta1"'],
    [{ ...valid, request: undefined }, 'request is missing'],
    [{ ...valid, request: { ...valid.request, uid: 7 } }, 'request.uid'],
    [{ ...valid, request: { ...valid.request, kind: { group: '', version: 'v1', kind: 'Service' } } }, 'request.kind'],
    [{ ...valid, request: { ...valid.request, operation: undefined } }, 'request.operation'],
    [{ ...valid, request: { ...valid.request, object: null } }, 'request.object is missing'],
    [{ ...valid, request: { ...valid.request, object: { ...pod(), kind: 'Secret' } } }, 'request.object.kind'],
    [{ ...valid, request: { ...valid.request, object: { kind: 'Pod', spec: {} } } }, 'spec.containers'],
  ];
  for (const [body, problem] of cases) {
    assert.throws(
      () => parseAdmissionReview(body),
      (error: unknown) => error instanceof MalformedAdmissionReviewError && error.message.includes(problem),
      problem,
    );
  }
  assert.is(parseAdmissionReview(valid).request.uid, 'u');
});

test('a pod is injected: allowed, JSONPatch that adds istio-proxy, uid echoed, managedFields untouched', () => {
  const object = pod();
  const result = admit(review(object), settings(), target);
  const { response } = result.review;
  assert.equal([result.review.apiVersion, result.review.kind], ['admission.k8s.io/v1', 'AdmissionReview']);
  assert.is(response.uid, 'uid-1');
  assert.is(response.allowed, true);
  assert.is(response.patchType, 'JSONPatch');
  assert.equal(result.outcome, { decision: 'injected', reason: 'sidecar' });
  const injected = applyPatch(object, result);
  assert.equal(proxyNames(injected), ['istio-proxy']);
  assert.equal(injected.metadata?.managedFields, object.metadata?.managedFields);
  const patch = Buffer.from(response.patch!, 'base64').toString('utf8');
  assert.not.match(patch, '/metadata/managedFields');
  // A compliant grace period (30 > Istio's 5s) changes nothing and warns about nothing.
  assert.is(injected.spec?.terminationGracePeriodSeconds, undefined);
  assert.is(response.warnings, undefined);
});

test('skipped pods are allowed without a patch, with the skip reason', () => {
  const hostNetwork = { ...pod(), spec: { ...pod().spec!, hostNetwork: true } };
  const cases: Array<[Pod, string]> = [
    [hostNetwork, 'hostNetwork'],
    [pod({ labels: { 'sidecar.istio.io/inject': 'false' } }), 'injectDisabled'],
  ];
  for (const [object, reason] of cases) {
    const result = admit(review(object), settings(), target);
    assert.is(result.review.response.allowed, true, reason);
    assert.is(result.review.response.patch, undefined, reason);
    assert.equal(result.outcome, { decision: 'skipped', reason });
  }
});

test("an empty pod namespace is taken from the request, so system namespaces are still ignored", () => {
  const object = pod({ namespace: '' });
  const result = admit(review(object, { namespace: 'kube-system' }), settings(), target);
  assert.equal(result.outcome, { decision: 'skipped', reason: 'ignoredNamespace' });
});

test('unknown installation/revision: allowed, no patch, a warning naming both', () => {
  const result = admit(review(pod()), undefined, { installation: 'mesh-a', revision: '1-30-3' });
  assert.is(result.review.response.allowed, true);
  assert.is(result.review.response.patch, undefined);
  assert.match(result.review.response.warnings![0], 'installation "mesh-a" revision "1-30-3"');
  assert.equal(result.outcome, { decision: 'skipped', reason: 'unknownRevision' });
});

test('operations other than CREATE are allowed untouched', () => {
  const result = admit(review(pod(), { operation: 'UPDATE' }), settings(), target);
  assert.equal(result.review.response, { uid: 'uid-1', allowed: true });
});

const drain45s = { 'proxy.istio.io/config': 'terminationDrainDuration: 45s' };

test('drain Adjust: grace raised in the patch, annotation recorded, warning returned', () => {
  const object = pod({ annotations: drain45s, grace: 30 });
  const result = admit(review(object), settings('Adjust'), target);
  assert.is(result.review.response.allowed, true);
  const injected = applyPatch(object, result);
  assert.is(injected.spec?.terminationGracePeriodSeconds, 50);
  assert.is(injected.metadata?.annotations?.[ANNOTATIONS.gracePeriodAdjusted], '30s->50s: terminationDrainDuration 45s');
  assert.ok(result.review.response.warnings?.some((w) => w.includes('from 30 to 50')));
  assert.equal(result.outcome, { decision: 'injected', reason: 'sidecar', drain: 'adjusted' });
});

test('drain Adjust uses the mesh default when the pod sets no drain', () => {
  const object = pod({ grace: 10 });
  const injected = applyPatch(object, admit(review(object), settings('Adjust', '12s'), target));
  assert.is(injected.spec?.terminationGracePeriodSeconds, 17);
});

test("drain: the pod's proxy.istio.io/config wins over the mesh drainDuration", () => {
  const object = pod({ annotations: drain45s, grace: 30 });
  const injected = applyPatch(object, admit(review(object), settings('Adjust', '60s'), target));
  assert.is(injected.spec?.terminationGracePeriodSeconds, 50);
});

test('drain Warn: injected, grace unchanged, warning returned', () => {
  const object = pod({ annotations: drain45s, grace: 30 });
  const result = admit(review(object), settings('Warn'), target);
  const injected = applyPatch(object, result);
  assert.equal(proxyNames(injected), ['istio-proxy']);
  assert.is(injected.spec?.terminationGracePeriodSeconds, 30);
  assert.ok(result.review.response.warnings?.some((w) => w.includes('terminationDrainDuration 45s')));
  assert.is(result.outcome.drain, 'warned');
});

test('drain Reject: denied with both values and the fix, no patch', () => {
  const result = admit(review(pod({ annotations: drain45s, grace: 30 })), settings('Reject'), target);
  const { response } = result.review;
  assert.is(response.allowed, false);
  assert.is(response.patch, undefined);
  assert.is(response.status?.code, 403);
  assert.match(response.status!.message, 'terminationGracePeriodSeconds 30');
  assert.match(response.status!.message, 'terminationDrainDuration 45s');
  assert.match(response.status!.message, 'at least 50');
  assert.equal(result.outcome, { decision: 'denied', reason: 'gracePeriod', drain: 'rejected' });
});

test("an invalid traffic annotation is denied with code 400 and the injector's message", () => {
  const object = pod({ annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': 'eighty' } });
  const result = admit(review(object), settings(), target);
  const { response } = result.review;
  assert.is(response.allowed, false);
  assert.is(response.status?.code, 400);
  assert.match(response.status!.message, 'includeInboundPorts');
  assert.equal(result.outcome, { decision: 'denied', reason: 'invalidAnnotation' });
});

test('an invalid mesh drain duration is denied with code 400 naming the value', () => {
  const result = admit(review(pod()), settings('Adjust', 'soon'), target);
  assert.is(result.review.response.allowed, false);
  assert.is(result.review.response.status?.code, 400);
  assert.match(result.review.response.status!.message, '"soon"');
  assert.equal(result.outcome, { decision: 'denied', reason: 'invalidProxyConfig' });
});

test('an internal error is a denial with code 500 that points at the logs, and the error is kept for them', () => {
  const broken = { config: {} as InjectionConfig, drain: { policy: 'Adjust' as const } };
  const result = admit(review(pod()), broken, target);
  const { response } = result.review;
  assert.is(response.allowed, false);
  assert.is(response.status?.code, 500);
  assert.match(response.status!.message, 'uid-1');
  assert.is(result.outcome.decision, 'error');
  assert.instance(result.outcome.error, Error);
});

test.run();
