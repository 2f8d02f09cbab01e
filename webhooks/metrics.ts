// Prometheus metrics of the admission webhook, registered on the operator's Registry (served at /metrics).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the webhook did with one admission request. */
export type InjectionDecision = 'injected' | 'skipped' | 'denied' | 'error';
/** What the graceful-drain rule did with a pod whose grace period was not above its drain. */
export type DrainEnforcement = 'adjusted' | 'warned' | 'rejected';

export interface WebhookMetrics {
  /** Every HTTP request, by route and response status code. */
  requests: Counter<'route' | 'code'>;
  /** Admission decisions, by decision and reason (skip reason, denial cause). */
  decisions: Counter<'decision' | 'reason'>;
  /** Pods whose grace period did not exceed their drain, by what the policy did. */
  drainEnforcements: Counter<'action'>;
  /** Time from request start to response end. */
  latency: Histogram<'route'>;
  /** notAfter of the serving certificate, as a Unix timestamp (alert when `- time()` gets small). */
  certificateExpiry: Gauge;
}

/**
 * Buckets for a webhook whose typical answer takes well under 5 ms: fine-grained below the apiserver's
 * first bucket (5 ms), then matching its upper buckets so both histograms can be compared.
 */
export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5, 10];

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'meshloom_webhook_requests_total',
      help: 'HTTP requests received by the admission webhook, by route and status code',
      labelNames: ['route', 'code'],
      registers,
    }),
    decisions: new Counter({
      name: 'meshloom_webhook_injection_decisions_total',
      help: 'Sidecar injection decisions (injected, skipped, denied, error), by reason',
      labelNames: ['decision', 'reason'],
      registers,
    }),
    drainEnforcements: new Counter({
      name: 'meshloom_webhook_drain_enforcements_total',
      help: 'Pods whose terminationGracePeriodSeconds did not exceed the proxy drain, by action taken',
      labelNames: ['action'],
      registers,
    }),
    latency: new Histogram({
      name: 'meshloom_webhook_request_duration_seconds',
      help: 'Time the admission webhook took to answer a request',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    certificateExpiry: new Gauge({
      name: 'meshloom_webhook_certificate_expiry_timestamp_seconds',
      help: 'Expiry (notAfter) of the webhook serving certificate, as seconds since the Unix epoch',
      registers,
    }),
  };
}
