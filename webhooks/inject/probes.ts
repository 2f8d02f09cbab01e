// Application probe rewriting (Istio's app_probe.go): with mTLS the kubelet cannot reach the app directly,
// so httpGet/tcpSocket/grpc probes and lifecycle hooks are pointed at the agent's status port, and the
// originals travel to the agent in ISTIO_KUBE_APP_PROBERS.
import type { V1HTTPGetAction, V1LifecycleHandler, V1Probe } from '@kubernetes/client-node';
import { goAppProbersJson } from './go-json.js';
import { ANNOTATION, CONTAINER, ENV } from './istio-names.js';
import type { Container, Pod } from './types.js';
import { parseGoBool } from './validation.js';

interface Prober {
  httpGet?: V1HTTPGetAction;
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  timeoutSeconds?: number;
}

function proberUrls(container: string) {
  return {
    readyz: `/app-health/${container}/readyz`,
    livez: `/app-health/${container}/livez`,
    startupz: `/app-health/${container}/startupz`,
    prestopz: `/app-lifecycle/${container}/prestopz`,
    poststartz: `/app-lifecycle/${container}/poststartz`,
  };
}

/** The pod's `sidecar.istio.io/rewriteAppHTTPProbers` when it is a boolean, else the configured default. */
function shouldRewriteProbes(pod: Pod, configured: boolean): boolean {
  const value = pod.metadata?.annotations?.[ANNOTATION.rewriteAppHTTPProbers];
  return (value !== undefined ? parseGoBool(value) : undefined) ?? configured;
}

function allAppContainers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter((c) => c.name !== CONTAINER.proxy);
}

function toProber(handler: V1Probe | V1LifecycleHandler | undefined, withTimeout: boolean): Prober | undefined {
  if (!handler) return undefined;
  const timeoutSeconds = withTimeout ? (handler as V1Probe).timeoutSeconds : undefined;
  const timeout = timeoutSeconds ? { timeoutSeconds } : {};
  if (handler.httpGet) return { httpGet: { ...handler.httpGet }, ...timeout };
  if (handler.tcpSocket) return { tcpSocket: { ...handler.tcpSocket }, ...timeout };
  if ('grpc' in handler && handler.grpc) return { grpc: { ...handler.grpc }, ...timeout };
  return undefined;
}

/**
 * Resolves a named port against the container's own ports. A prober whose name does not resolve is dropped,
 * as is one already aimed at the status port.
 */
function resolvePort(prober: Prober | undefined, ports: Map<string, number>, statusPort: number): Prober | undefined {
  if (!prober) return undefined;
  if (prober.grpc) return prober;
  const action = prober.httpGet ?? prober.tcpSocket!;
  if (typeof action.port === 'string') {
    const resolved = ports.get(action.port);
    if (resolved === undefined) return undefined;
    action.port = resolved;
  } else if (action.port === statusPort) {
    return undefined;
  }
  return prober;
}

/** ISTIO_KUBE_APP_PROBERS JSON for the pod's app containers, or undefined when no probe qualifies. */
function appProbersJson(pod: Pod, statusPort: number): string | undefined {
  const probers: Record<string, Prober> = {};
  for (const container of allAppContainers(pod)) {
    const urls = proberUrls(container.name);
    const ports = new Map<string, number>();
    for (const port of container.ports ?? []) if (port.name) ports.set(port.name, port.containerPort);
    const add = (url: string, prober: Prober | undefined): void => {
      const resolved = resolvePort(prober, ports, statusPort);
      if (resolved) probers[url] = resolved;
    };
    add(urls.readyz, toProber(container.readinessProbe, true));
    add(urls.livez, toProber(container.livenessProbe, true));
    add(urls.startupz, toProber(container.startupProbe, true));
    add(urls.prestopz, toProber(container.lifecycle?.preStop, false));
    add(urls.poststartz, toProber(container.lifecycle?.postStart, false));
  }
  return Object.keys(probers).length > 0 ? goAppProbersJson(probers) : undefined;
}

function agentHttpGet(original: V1HTTPGetAction | undefined, path: string, statusPort: number): V1HTTPGetAction {
  const action: V1HTTPGetAction = { ...original, path, port: statusPort };
  // Kubelet -> HTTP -> agent -> HTTPS -> app.
  if (action.scheme === 'HTTPS') action.scheme = 'HTTP';
  return action;
}

function rewriteHandler<T extends V1Probe | V1LifecycleHandler>(handler: T | undefined, path: string, statusPort: number): T | undefined {
  if (!handler) return undefined;
  if (handler.httpGet) return { ...handler, httpGet: agentHttpGet(handler.httpGet, path, statusPort) };
  if (handler.tcpSocket || ('grpc' in handler && handler.grpc)) {
    const { tcpSocket: _tcp, ...rest } = handler as V1Probe;
    delete rest.grpc;
    return { ...rest, httpGet: agentHttpGet(undefined, path, statusPort) } as T;
  }
  return handler;
}

function rewriteContainer(container: Container, statusPort: number): Container {
  const urls = proberUrls(container.name);
  const rewritten: Container = { ...container };
  if (container.readinessProbe) rewritten.readinessProbe = rewriteHandler(container.readinessProbe, urls.readyz, statusPort);
  if (container.livenessProbe) rewritten.livenessProbe = rewriteHandler(container.livenessProbe, urls.livez, statusPort);
  if (container.startupProbe) rewritten.startupProbe = rewriteHandler(container.startupProbe, urls.startupz, statusPort);
  if (container.lifecycle) {
    const lifecycle = { ...container.lifecycle };
    if (lifecycle.preStop) lifecycle.preStop = rewriteHandler(lifecycle.preStop, urls.prestopz, statusPort);
    if (lifecycle.postStart) lifecycle.postStart = rewriteHandler(lifecycle.postStart, urls.poststartz, statusPort);
    rewritten.lifecycle = lifecycle;
  }
  return rewritten;
}

/** On re-injection the previous probers are kept: old entries win over newly computed ones. */
function mergeProbers(sidecar: Container, probers: string, previouslyInjected: boolean): void {
  const env = (sidecar.env ??= []);
  const existing = previouslyInjected ? env.findIndex((item) => item.name === ENV.appProbers) : -1;
  if (existing < 0) {
    env.push({ name: ENV.appProbers, value: probers });
    return;
  }
  let merged: Record<string, unknown>;
  try {
    merged = { ...(JSON.parse(probers) as object), ...(JSON.parse(env[existing]!.value ?? '') as object) };
  } catch {
    return; // Istio keeps the env as it is when either side is not valid JSON
  }
  env[existing] = { name: ENV.appProbers, value: goAppProbersJson(merged) };
}

/**
 * Rewrites the pod's app probes in place (the pod is the injection's working copy) when rewriting is on.
 * `meshStatusPort` is the mesh default; the pod's `status.sidecar.istio.io/port` wins for the new probes.
 */
export function applyProbeRewrite(pod: Pod, sidecar: Container, meshStatusPort: number, enabledByDefault: boolean, previouslyInjected: boolean): void {
  if (!shouldRewriteProbes(pod, enabledByDefault)) return;
  const probers = appProbersJson(pod, meshStatusPort);
  if (probers !== undefined) mergeProbers(sidecar, probers, previouslyInjected);

  const annotated = pod.metadata?.annotations?.[ANNOTATION.statusPort];
  // Istio uses strconv.Atoi here and falls back to 0 on a parse error (validation has already run).
  const statusPort = annotated !== undefined ? (/^[-+]?\d+$/.test(annotated) ? Number(annotated) : 0) : meshStatusPort;
  const spec = pod.spec!;
  const rewrite = (container: Container): Container => (container.name === CONTAINER.proxy ? container : rewriteContainer(container, statusPort));
  spec.containers = spec.containers.map(rewrite);
  if (spec.initContainers) spec.initContainers = spec.initContainers.map(rewrite);
}
