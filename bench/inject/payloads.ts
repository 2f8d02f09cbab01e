// The pods injection is measured with: Istio's hello workload, a multi-container pod with every kind of
// probe, and the 2000-env-var pod of Istio's BenchmarkInjection/many_env_vars. Builders return fresh objects,
// so a caller may hand them to code that takes ownership.
import type { Pod } from '../../webhooks/inject/index.js';

export interface Payload {
  name: string;
  build(): Pod;
}

/** Istio's hello.yaml Deployment as the webhook receives its pods: owned by a ReplicaSet, name not yet set. */
export function helloPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'hello-7d9f8b6c5-',
      namespace: 'bench',
      labels: { app: 'hello', tier: 'backend', track: 'stable', 'pod-template-hash': '7d9f8b6c5' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'hello-7d9f8b6c5', uid: '6f1c2a90-0000-4000-8000-000000000001', controller: true }],
    },
    spec: { containers: [{ name: 'hello', image: 'fake.docker.io/google-samples/hello-go-gke:1.0', ports: [{ name: 'http', containerPort: 80 }] }] },
  };
}

/** Three app containers with readiness/liveness/startup probes (http, tcp, grpc), hooks and an init container. */
export function multiContainerProbesPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'shop-5c7b9d8f6-',
      namespace: 'bench',
      labels: { app: 'shop', version: 'v2', 'pod-template-hash': '5c7b9d8f6' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shop-5c7b9d8f6', uid: '6f1c2a90-0000-4000-8000-000000000002', controller: true }],
    },
    spec: {
      serviceAccountName: 'shop',
      initContainers: [{ name: 'migrate', image: 'shop-migrate:2', command: ['/migrate', '--up'] }],
      containers: ['api', 'worker', 'cache'].map((name, i) => ({
        name,
        image: `shop-${name}:2`,
        ports: [
          { name: 'http', containerPort: 8080 + i },
          { name: 'grpc', containerPort: 9000 + i },
        ],
        env: Array.from({ length: 20 }, (_, j) => ({ name: `${name.toUpperCase()}_SETTING_${j}`, value: `value-${j}` })),
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2 },
        livenessProbe: { grpc: { port: 9000 + i }, initialDelaySeconds: 10 },
        startupProbe: { tcpSocket: { port: 8080 + i }, failureThreshold: 30 },
        lifecycle: { preStop: { httpGet: { path: '/drain', port: 8080 + i } } },
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
        volumeMounts: [{ name: 'config', mountPath: '/etc/shop' }],
      })),
      volumes: [{ name: 'config', configMap: { name: 'shop-config' } }],
    },
  };
}

/** One container with `count` env vars (Istio's worst case for patch generation, istio/istio#44933). */
export function manyEnvVarsPod(count = 2000): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'many-env', namespace: 'bench', labels: { app: 'many-env' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          env: Array.from({ length: count }, (_, i) => ({ name: `ENV_VAR_${i}`, value: `value-of-env-var-${i}` })),
        },
      ],
    },
  };
}

export const PAYLOADS: readonly Payload[] = [
  { name: 'hello', build: helloPod },
  { name: 'multi-container+probes', build: multiContainerProbesPod },
  { name: '2000-env-vars', build: () => manyEnvVarsPod(2000) },
];
