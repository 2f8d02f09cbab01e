// Operator metrics (Prometheus, via prom-client), named like controller-runtime's so existing dashboards fit.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'meshloom_reconcile_total',
    help: 'Reconciles of MeshInstallations, by result (success, error, requeue)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'meshloom_reconcile_errors_total',
    help: 'Reconciles that failed, by reason (the Reconciled condition reason)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'meshloom_reconcile_duration_seconds',
    help: 'Time taken by one reconcile of a MeshInstallation',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly objectsApplied = new Counter({
    name: 'meshloom_objects_applied_total',
    help: 'Objects written by server-side apply, by component',
    labelNames: ['component'] as const,
    registers: [this.registry],
  });
  readonly componentReady = new Gauge({
    name: 'meshloom_component_ready',
    help: '1 when a component of an installation has rolled out and is ready, else 0',
    labelNames: ['installation', 'component'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'meshloom_workqueue_depth',
    help: 'MeshInstallations waiting in the work queue',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'meshloom_' });
  }
}
