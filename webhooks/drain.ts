// The graceful-drain rule: a pod's terminationGracePeriodSeconds must exceed the time its proxy drains,
// or the kubelet SIGKILLs the proxy mid-drain and in-flight requests fail (istio/istio#25575, api#2047).
// Istio only documents the rule; the webhook enforces it. Pure: no I/O, no clock.
import { ANNOTATIONS } from '../operator/api/names.js';
import { protoDurationSeconds, type Container, type Pod, type ProxyConfig } from './inject/index.js';

/** `spec.injection.gracePeriodPolicy`: what to do with a pod whose grace period is not above its drain. */
export type GracePeriodPolicy = 'Adjust' | 'Warn' | 'Reject';

export interface DrainSettings {
  policy: GracePeriodPolicy;
  /**
   * `spec.injection.drainDuration`: the mesh-wide terminationDrainDuration (Go duration), if set. `admit` lays
   * it over the injection config's mesh defaultConfig, so the injected proxy drains for it and the rule
   * checks that same value.
   */
  defaultDrain?: string;
}

/** Istio's default terminationDrainDuration (pkg/config/mesh) and MINIMUM_DRAIN_DURATION (pilot-agent). */
export const ISTIO_DEFAULT_DRAIN_SECONDS = 5;
/** Kubernetes' default `terminationGracePeriodSeconds`. */
export const KUBERNETES_DEFAULT_GRACE_SECONDS = 30;
/**
 * Headroom added above the drain when raising the grace period. After the drain the agent still stops Envoy
 * and exits, and the application containers get the same SIGKILL deadline for their own shutdown; 5s is
 * Istio's own default drain, so the margin is never smaller than a default drain.
 */
export const GRACE_MARGIN_SECONDS = 5;

const PROXY_CONTAINER = 'istio-proxy';
const EXIT_ON_ZERO_ACTIVE_CONNECTIONS = 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS';
const MINIMUM_DRAIN_DURATION = 'MINIMUM_DRAIN_DURATION';

/** A Go duration string (`time.ParseDuration` syntax) that does not parse. */
export class InvalidDurationError extends Error {
  override readonly name = 'InvalidDurationError';
  constructor(
    readonly value: string,
    readonly setting: string,
  ) {
    super(`${setting} "${value}" is not a valid duration: use a number with a unit, such as 45s, 1m30s, 1.5s or 500ms`);
  }
}

/**
 * Seconds in a Go duration (`45s`, `1m30s`, `1.5s`, `500ms`, `0`), or undefined when it does not parse. The
 * injection engine's parser, so the drain rule reads durations exactly as annotation validation accepts them.
 */
export function parseGoDuration(text: string): number | undefined {
  try {
    return protoDurationSeconds(text);
  } catch {
    return undefined;
  }
}

/** Go's strconv.ParseBool truth values, which pilot-agent uses for boolean env vars. */
function isGoTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

/** Renders seconds the way the annotation and messages show them: `45s`, `1.5s`. */
export function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(3))}s`;
}

/** How long the proxy keeps draining after termination starts, and which setting decides it. */
export interface EffectiveDrain {
  seconds: number;
  /** `terminationDrainDuration`, or `MINIMUM_DRAIN_DURATION` when the proxy exits on zero active connections. */
  setting: typeof MINIMUM_DRAIN_DURATION | 'terminationDrainDuration';
}

function proxyContainer(pod: Pod): Container | undefined {
  const spec = pod.spec;
  // Native sidecars put the proxy under initContainers; classic ones under containers.
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].find((c) => c.name === PROXY_CONTAINER);
}

/**
 * The env the proxy agent starts with: the effective proxyMetadata (mesh defaultConfig merged with the pod's
 * `proxy.istio.io/config`), overridden by literal env on the injected `istio-proxy` container (a user's
 * override container or a ProxyConfig CR's environmentVariables land there). Later duplicates win, as in the
 * kubelet; `valueFrom` entries are unknowable at admission and ignored.
 */
function proxyEnvironment(pod: Pod, proxyConfig: ProxyConfig): Record<string, string> {
  const env: Record<string, string> = { ...(proxyConfig.proxyMetadata ?? {}) };
  for (const variable of proxyContainer(pod)?.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
  }
  return env;
}

/**
 * The drain the proxy of `pod` performs (injection.md §3, §7.4), given its effective ProxyConfig (code
 * defaults, then the mesh defaultConfig, then the pod's `proxy.istio.io/config`): its terminationDrainDuration,
 * else Istio's 5s. With EXIT_ON_ZERO_ACTIVE_CONNECTIONS=true pilot-agent ignores terminationDrainDuration and
 * waits MINIMUM_DRAIN_DURATION before polling for zero connections, so that is the quantity that must fit in
 * the grace period. An unparsable MINIMUM_DRAIN_DURATION falls back to 5s, as pilot-agent's env parsing does;
 * an unparsable terminationDrainDuration throws InvalidDurationError.
 */
export function effectiveDrain(pod: Pod, proxyConfig: ProxyConfig): EffectiveDrain {
  const env = proxyEnvironment(pod, proxyConfig);
  if (isGoTrue(env[EXIT_ON_ZERO_ACTIVE_CONNECTIONS])) {
    const minimum = env[MINIMUM_DRAIN_DURATION];
    const parsed = minimum === undefined ? undefined : parseGoDuration(minimum);
    return { seconds: parsed ?? ISTIO_DEFAULT_DRAIN_SECONDS, setting: MINIMUM_DRAIN_DURATION };
  }
  const configured = proxyConfig.terminationDrainDuration;
  if (configured === undefined) return { seconds: ISTIO_DEFAULT_DRAIN_SECONDS, setting: 'terminationDrainDuration' };
  const seconds = parseGoDuration(configured);
  if (seconds === undefined) throw new InvalidDurationError(configured, 'terminationDrainDuration');
  return { seconds, setting: 'terminationDrainDuration' };
}

/** Where a user lowers each drain setting, for the fix in a rejection. */
const DRAIN_SOURCES: Record<EffectiveDrain['setting'], string> = {
  terminationDrainDuration:
    "terminationDrainDuration in the pod's proxy.istio.io/config annotation (or the mesh's spec.injection.drainDuration)",
  MINIMUM_DRAIN_DURATION: "proxyMetadata MINIMUM_DRAIN_DURATION in the pod's proxy.istio.io/config annotation",
};

/** The outcome of the rule for one injected pod. `pod` is a new object when the policy changed it. */
export type DrainDecision =
  | { action: 'compliant'; pod: Pod; drain: EffectiveDrain; graceSeconds: number }
  | { action: 'adjusted'; pod: Pod; drain: EffectiveDrain; graceSeconds: number; adjustedGraceSeconds: number; warning: string }
  | { action: 'warned'; pod: Pod; drain: EffectiveDrain; graceSeconds: number; warning: string }
  | { action: 'rejected'; drain: EffectiveDrain; graceSeconds: number; message: string };

/**
 * Applies the grace-period policy to an injected pod. Grace is the pod's terminationGracePeriodSeconds
 * (Kubernetes default 30); it must be strictly greater than the effective drain. `Adjust` raises it to
 * ceil(drain) + GRACE_MARGIN_SECONDS and records the change in the `grace-period-adjusted` annotation,
 * `Warn` only warns, `Reject` denies.
 */
export function enforceGracefulDrain(pod: Pod, proxyConfig: ProxyConfig, policy: GracePeriodPolicy): DrainDecision {
  const drain = effectiveDrain(pod, proxyConfig);
  const spec = pod.spec ?? { containers: [] };
  const graceSeconds = spec.terminationGracePeriodSeconds ?? KUBERNETES_DEFAULT_GRACE_SECONDS;
  if (graceSeconds > drain.seconds) return { action: 'compliant', pod, drain, graceSeconds };

  const drainText = `${drain.setting} ${formatSeconds(drain.seconds)}`;
  const adjustedGraceSeconds = Math.ceil(drain.seconds) + GRACE_MARGIN_SECONDS;
  // Admission warnings are shown to kubectl users and may be truncated past 256 characters: keep them short.
  switch (policy) {
    case 'Adjust': {
      const adjusted: Pod = {
        ...pod,
        metadata: {
          ...pod.metadata,
          annotations: {
            ...pod.metadata?.annotations,
            [ANNOTATIONS.gracePeriodAdjusted]: `${graceSeconds}s->${adjustedGraceSeconds}s: ${drainText}`,
          },
        },
        spec: { ...spec, terminationGracePeriodSeconds: adjustedGraceSeconds },
      };
      const warning =
        `meshloom raised terminationGracePeriodSeconds from ${graceSeconds} to ${adjustedGraceSeconds} ` +
        `so istio-proxy can finish draining (${drainText})`;
      return { action: 'adjusted', pod: adjusted, drain, graceSeconds, adjustedGraceSeconds, warning };
    }
    case 'Warn': {
      const warning =
        `terminationGracePeriodSeconds ${graceSeconds} is not greater than the istio-proxy drain (${drainText}); ` +
        `the proxy can be killed mid-drain: set it to at least ${adjustedGraceSeconds}`;
      return { action: 'warned', pod, drain, graceSeconds, warning };
    }
    case 'Reject': {
      const message =
        `terminationGracePeriodSeconds ${graceSeconds} is not greater than the istio-proxy drain (${drainText}), ` +
        'so the kubelet would kill the proxy before it finishes draining and in-flight requests would fail ' +
        `(gracePeriodPolicy Reject). Set spec.terminationGracePeriodSeconds to at least ${adjustedGraceSeconds}, ` +
        `or lower ${DRAIN_SOURCES[drain.setting]}`;
      return { action: 'rejected', drain, graceSeconds, message };
    }
  }
}
