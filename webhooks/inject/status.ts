// The `sidecar.istio.io/status` annotation: which containers, volumes and pull secrets injection added, so a
// later re-injection can strip exactly those first.
import type { PodSpec } from './types.js';

export interface InjectedNames {
  containers: string[];
  initContainers: string[];
}

const names = (items: { name?: string }[] | undefined): string[] | null =>
  items && items.length > 0 ? items.map((item) => item.name ?? '') : null;

/** The annotation value, computed from the rendered template (what was injected), fields in Istio's order. */
export function injectionStatusAnnotation(template: PodSpec, revision: string): string {
  return JSON.stringify({
    initContainers: names(template.initContainers),
    containers: names(template.containers),
    volumes: names(template.volumes),
    imagePullSecrets: names(template.imagePullSecrets),
    revision: revision || 'default',
  });
}

function stringList(value: unknown): string[] | undefined {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

/**
 * The container names a status annotation lists, or undefined when it is not valid status JSON (Istio then
 * treats the pod as never injected).
 */
export function readInjectionStatus(annotation: string | undefined): InjectedNames | undefined {
  if (annotation === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(annotation);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const containers = stringList(record['containers']);
  const initContainers = stringList(record['initContainers']);
  if (!containers || !initContainers) return undefined;
  return { containers, initContainers };
}
