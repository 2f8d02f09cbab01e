// AdmissionReview v1 in, AdmissionReview v1 out: the sidecar injection decision, the injection itself and the
// graceful-drain rule, as one pure function. The HTTP server around it only parses, routes and records.
import {
  createJsonPatch,
  effectiveProxyConfig,
  injectPod,
  InjectionValidationError,
  InvalidOverridesError,
  ProxyConfigError,
  TemplateNotFoundError,
  type InjectionConfig,
  type Pod,
} from './inject/index.js';
import { enforceGracefulDrain, type DrainSettings } from './drain.js';
import type { DrainEnforcement, InjectionDecision } from './metrics.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
const ADMISSION_REVIEW = 'AdmissionReview';

/** What the operator knows about one (installation, revision): how to inject and how to enforce drain. */
export interface InjectionSettings {
  config: InjectionConfig;
  drain: DrainSettings;
}

/** The request is not an AdmissionReview v1 for a Pod; the server answers 400 with this message. */
export class MalformedAdmissionReviewError extends Error {
  override readonly name = 'MalformedAdmissionReviewError';
  constructor(readonly problem: string) {
    super(
      `malformed AdmissionReview: ${problem}. The injection webhook accepts admission.k8s.io/v1 AdmissionReview ` +
        'requests for v1 Pods (admissionReviewVersions: ["v1"])',
    );
  }
}

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: string;
  namespace?: string;
  name?: string;
  object: Pod;
  dryRun?: boolean;
}

export interface AdmissionReviewRequest {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_REVIEW;
  request: AdmissionRequest;
}

/** metav1.Status as carried in `response.status` (Go field `Result`). */
export interface AdmissionStatus {
  status: 'Failure';
  code: number;
  reason: 'BadRequest' | 'Forbidden' | 'InternalError';
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** Base64 of the RFC 6902 patch JSON. */
  patch?: string;
  warnings?: string[];
  status?: AdmissionStatus;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_REVIEW;
  response: AdmissionResponse;
}

/** What happened, for metrics and logs. `error` is set only for internal errors (never shown to the client). */
export interface AdmissionOutcome {
  decision: InjectionDecision;
  /** Skip reason, denial cause, or `sidecar` when injected. */
  reason: string;
  drain?: DrainEnforcement;
  error?: unknown;
}

export interface AdmissionResult {
  review: AdmissionReviewResponse;
  outcome: AdmissionOutcome;
}

/** The webhook path's target: `/inject/<installation>/<revision>`. */
export interface InjectionTarget {
  installation: string;
  revision: string;
}

/**
 * Errors caused by what the pod asks for (its annotations): the pod is denied with code 400 and the error's own
 * message, which is the text Istio's injector gives.
 */
const POD_ERRORS: ReadonlyArray<[new (...args: never[]) => Error, string]> = [
  [InjectionValidationError, 'invalidAnnotation'],
  [ProxyConfigError, 'invalidProxyConfig'],
  [InvalidOverridesError, 'invalidOverrides'],
  [TemplateNotFoundError, 'unknownTemplate'],
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that `body` (parsed JSON) is an AdmissionReview v1 request for a Pod with the fields the webhook
 * reads, and narrows its type. Throws MalformedAdmissionReviewError naming the first problem.
 */
export function parseAdmissionReview(body: unknown): AdmissionReviewRequest {
  const fail = (problem: string): never => {
    throw new MalformedAdmissionReviewError(problem);
  };
  if (!isObject(body)) return fail('the body is not a JSON object');
  if (body.kind !== ADMISSION_REVIEW) fail(`kind is ${JSON.stringify(body.kind)}, expected "AdmissionReview"`);
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    fail(`apiVersion is ${JSON.stringify(body.apiVersion)}, expected "${ADMISSION_API_VERSION}"`);
  }
  const request = body.request;
  if (!isObject(request)) return fail('request is missing');
  if (typeof request.uid !== 'string' || request.uid === '') fail('request.uid is missing');
  const kind = request.kind;
  if (!isObject(kind) || kind.group !== '' || kind.version !== 'v1' || kind.kind !== 'Pod') {
    fail(`request.kind is ${JSON.stringify(kind)}, expected {"group":"","version":"v1","kind":"Pod"}`);
  }
  if (typeof request.operation !== 'string') fail('request.operation is missing');
  const pod = request.object;
  if (!isObject(pod)) return fail('request.object is missing');
  if (pod.kind !== undefined && pod.kind !== 'Pod') fail(`request.object.kind is ${JSON.stringify(pod.kind)}, expected "Pod"`);
  if (pod.metadata !== undefined && !isObject(pod.metadata)) fail('request.object.metadata is not an object');
  if (!isObject(pod.spec) || !Array.isArray(pod.spec.containers)) fail('request.object.spec.containers is not a list');
  return body as unknown as AdmissionReviewRequest;
}

function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_REVIEW, response };
}

function withWarnings(response: AdmissionResponse, warnings: string[]): AdmissionResponse {
  return warnings.length > 0 ? { ...response, warnings } : response;
}

function denied(uid: string, status: Omit<AdmissionStatus, 'status'>, warnings: string[] = []): AdmissionReviewResponse {
  return review(withWarnings({ uid, allowed: false, status: { status: 'Failure', ...status } }, warnings));
}

/**
 * The pod as the injector sees it and as the patch is computed against: managedFields dropped (they only cost
 * CPU in diffing, and the patch then never touches them) and the namespace filled from the request, as
 * Istio's webhook does.
 */
function podForInjection(request: AdmissionRequest): { pod: Pod; namespace: string } {
  const { managedFields: _managedFields, ...metadata } = request.object.metadata ?? {};
  const namespace = metadata.namespace || request.namespace || '';
  return { pod: { ...request.object, metadata: { ...metadata, namespace } }, namespace };
}

/**
 * The injection config with `spec.injection.drainDuration` as the mesh-wide terminationDrainDuration: one value
 * both injected into the proxy's config and checked by the drain rule.
 */
function withMeshDrain({ config, drain }: InjectionSettings): InjectionConfig {
  if (drain.defaultDrain === undefined) return config;
  const defaultConfig = { ...config.mesh.defaultConfig, terminationDrainDuration: drain.defaultDrain };
  return { ...config, mesh: { ...config.mesh, defaultConfig } };
}

/**
 * Answers one AdmissionReview: skip (allowed, no patch), inject (allowed, JSONPatch), or deny (invalid
 * annotations, a grace period the Reject policy refuses). Never throws: an unexpected error in injection is a
 * denial with code 500 and the error in `outcome.error` for the log; see server.ts for why it is a denial.
 */
export function admit(
  request: AdmissionReviewRequest,
  settings: InjectionSettings | undefined,
  target: InjectionTarget,
): AdmissionResult {
  const { uid, operation } = request.request;
  if (settings === undefined) {
    const warning =
      `meshloom has no injection settings for installation "${target.installation}" revision ` +
      `"${target.revision}"; the pod was admitted without a sidecar`;
    return {
      review: review({ uid, allowed: true, warnings: [warning] }),
      outcome: { decision: 'skipped', reason: 'unknownRevision' },
    };
  }
  // The webhook configuration only sends CREATE; anything else is left as it is.
  if (operation !== 'CREATE') {
    return { review: review({ uid, allowed: true }), outcome: { decision: 'skipped', reason: 'operation' } };
  }

  const { pod: original, namespace } = podForInjection(request.request);
  const config = withMeshDrain(settings);
  try {
    const injection = injectPod(original, namespace, config);
    if (!injection.injected) {
      return {
        review: review(withWarnings({ uid, allowed: true }, injection.warnings)),
        outcome: { decision: 'skipped', reason: injection.skipReason },
      };
    }
    const warnings = [...injection.warnings];
    const drain = enforceGracefulDrain(injection.pod, effectiveProxyConfig(original, config), settings.drain.policy);
    if (drain.action === 'rejected') {
      return {
        review: denied(uid, { code: 403, reason: 'Forbidden', message: drain.message }, warnings),
        outcome: { decision: 'denied', reason: 'gracePeriod', drain: 'rejected' },
      };
    }
    if (drain.action !== 'compliant') warnings.push(drain.warning);
    const patch = createJsonPatch(original, drain.pod);
    return {
      review: review(
        withWarnings(
          { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') },
          warnings,
        ),
      ),
      outcome: { decision: 'injected', reason: 'sidecar', ...(drain.action !== 'compliant' && { drain: drain.action }) },
    };
  } catch (error) {
    const podError = POD_ERRORS.find(([type]) => error instanceof type);
    if (podError) {
      return {
        review: denied(uid, { code: 400, reason: 'BadRequest', message: (error as Error).message }),
        outcome: { decision: 'denied', reason: podError[1] },
      };
    }
    const message =
      `meshloom could not inject the sidecar because of an internal error (request uid ${uid}); the pod was ` +
      'refused rather than admitted without its proxy. Retry, and report the error in the meshloom operator log';
    return {
      review: denied(uid, { code: 500, reason: 'InternalError', message }),
      outcome: { decision: 'error', reason: 'internal', error },
    };
  }
}
