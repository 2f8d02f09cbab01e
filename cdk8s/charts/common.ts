// Building blocks shared by the charts: Kubernetes value types, downward-API env, PDB and HPA.
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import type { ResourceRequirements } from '../../operator/api/v1alpha1/index.js';
import type { ResolvedAutoscaling } from '../../operator/api/profiles.js';
import type { RenderContext } from '../context.js';

export function resources(requirements: ResourceRequirements): k8s.ResourceRequirements {
  const quantities = (values: Record<string, string | number | undefined> | undefined) =>
    values &&
    Object.fromEntries(
      Object.entries(values)
        .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
        .map(([name, value]) => [
          name,
          typeof value === 'number' ? k8s.Quantity.fromNumber(value) : k8s.Quantity.fromString(value),
        ]),
    );
  return { requests: quantities(requirements.requests), limits: quantities(requirements.limits) };
}

/** Istio's charts roll istiod and gateways by surging a full new set first: capacity never drops. */
export const ISTIO_ROLLING_UPDATE: k8s.DeploymentStrategy = {
  rollingUpdate: { maxSurge: k8s.IntOrString.fromString('100%'), maxUnavailable: k8s.IntOrString.fromString('25%') },
};

export function fieldEnv(name: string, fieldPath: string): k8s.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** An env var from the container's own resources, with the divisor this Istio release writes. */
export function resourceEnv(ctx: RenderContext, name: string, resource: 'limits.cpu' | 'limits.memory'): k8s.EnvVar {
  const divisor = k8s.Quantity.fromString(ctx.release.injection.resourceFieldRefDivisor);
  return { name, valueFrom: { resourceFieldRef: { resource, divisor } } };
}

export function httpProbe(path: string, port: number, timing: Omit<k8s.Probe, 'httpGet'> = {}): k8s.Probe {
  return { httpGet: { path, port: k8s.IntOrString.fromNumber(port) }, ...timing };
}

/** A projected ServiceAccount token for Istio's CA, as every Istio workload mounts it. */
export const ISTIO_TOKEN_VOLUME: k8s.Volume = {
  name: 'istio-token',
  projected: {
    sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }],
  },
};

export interface ScaledWorkload {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  replicas: number;
  autoscaling?: ResolvedAutoscaling;
  labels?: Record<string, string>;
}

/**
 * A PodDisruptionBudget only when more than one replica can run: with one replica, minAvailable 1 would block
 * every node drain.
 */
export function disruptionBudget(scope: Construct, id: string, workload: ScaledWorkload): void {
  const lowest = workload.autoscaling ? workload.autoscaling.minReplicas : workload.replicas;
  if (lowest <= 1) return;
  new k8s.KubePodDisruptionBudget(scope, id, {
    metadata: { name: workload.name, namespace: workload.namespace, labels: workload.labels },
    spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: workload.selector } },
  });
}

/** A CPU HorizontalPodAutoscaler, only when autoscaling is set. */
export function autoscaler(scope: Construct, id: string, workload: ScaledWorkload): void {
  if (!workload.autoscaling) return;
  new k8s.KubeHorizontalPodAutoscalerV2(scope, id, {
    metadata: { name: workload.name, namespace: workload.namespace, labels: workload.labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: workload.name },
      minReplicas: workload.autoscaling.minReplicas,
      maxReplicas: workload.autoscaling.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: workload.autoscaling.targetCPUUtilizationPercentage },
          },
        },
      ],
    },
  });
}
