// Prometheus metrics merging: the pod's prometheus.io annotations are moved into ISTIO_PROMETHEUS_ANNOTATIONS
// and replaced by ones pointing at the agent, which serves app and Envoy metrics together.
import { ENV, ANNOTATION } from './istio-names.js';
import type { Container, Pod } from './types.js';
import { parseGoBool } from './validation.js';

const SCRAPE = 'prometheus_io_scrape';
const PORT = 'prometheus_io_port';
const PATH = 'prometheus_io_path';

/** Prometheus reads `prometheus.io/scrape`, `prometheus.io.scrape` and `prometheus-io/scrape` alike. */
function sanitize(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

function findAnnotation(pod: Pod, sanitized: string): string | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const key = Object.keys(annotations)
    .sort()
    .find((name) => sanitize(name) === sanitized);
  return key === undefined ? undefined : annotations[key];
}

/** The value of the pod's prometheus port annotation, in any spelling. */
export function prometheusPort(pod: Pod): string | undefined {
  return findAnnotation(pod, PORT);
}

export function clearPrometheusAnnotations(annotations: Record<string, string>): void {
  for (const key of Object.keys(annotations)) {
    if ([SCRAPE, PORT, PATH].includes(sanitize(key))) delete annotations[key];
  }
}

/** Applies metrics merging to `pod` (mutated) unless the pod opts out with scrape=false or merge-metrics=false. */
export function applyPrometheusMerge(pod: Pod, sidecar: Container | undefined, statusPort: number, meshEnabled: boolean): void {
  const annotations = (pod.metadata!.annotations ??= {});
  const scrape = findAnnotation(pod, SCRAPE);
  if (scrape !== undefined && parseGoBool(scrape) === false) return;
  const mergeAnnotation = annotations[ANNOTATION.prometheusMergeMetrics];
  const enabled = (mergeAnnotation !== undefined ? parseGoBool(mergeAnnotation) : undefined) ?? meshEnabled;
  if (!enabled) return;

  const targetPort = String(statusPort);
  // Already pointing at the agent: the user controls it or the pod is being re-injected.
  if (prometheusPort(pod) === targetPort) return;
  const original = { scrape: scrape ?? '', path: findAnnotation(pod, PATH) ?? '', port: prometheusPort(pod) ?? '' };
  if (sidecar && (original.scrape || original.path || original.port)) {
    (sidecar.env ??= []).push({ name: ENV.prometheusAnnotations, value: JSON.stringify(original) });
  }
  clearPrometheusAnnotations(annotations);
  annotations['prometheus.io/port'] = targetPort;
  annotations['prometheus.io/path'] = '/stats/prometheus';
  annotations['prometheus.io/scrape'] = 'true';
}
