// The three pods the webhook is measured with: Istio's own benchmark shapes (a minimal pod, and the
// 2000-env-var pod of BenchmarkInjection/many_env_vars) plus a realistic multi-container pod with probes.
import type { Pod } from '../../webhooks/inject/index.js';

export interface Payload {
  name: string;
  pod: Pod;
}

const hello: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'hello', namespace: 'bench', labels: { app: 'hello' } },
  spec: { containers: [{ name: 'hello', image: 'hello:1', ports: [{ containerPort: 8080 }] }] },
};

const multiContainer: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'shop-7d9f8b6c5-',
    namespace: 'bench',
    labels: { app: 'shop', version: 'v2', 'pod-template-hash': '7d9f8b6c5' },
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shop-7d9f8b6c5', uid: '5b1e0f3a-1111-4111-8111-111111111111', controller: true }],
  },
  spec: {
    initContainers: [{ name: 'migrate', image: 'shop-migrate:2', command: ['/migrate', '--up'] }],
    containers: ['api', 'worker', 'cache'].map((name, i) => ({
      name,
      image: `shop-${name}:2`,
      ports: [{ name: 'http', containerPort: 8080 + i }, { name: 'metrics', containerPort: 9090 + i }],
      env: Array.from({ length: 20 }, (_, j) => ({ name: `${name.toUpperCase()}_SETTING_${j}`, value: `value-${j}` })),
      readinessProbe: { httpGet: { path: '/ready', port: 8080 + i }, periodSeconds: 5 },
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 + i }, initialDelaySeconds: 10 },
      startupProbe: { tcpSocket: { port: 8080 + i }, failureThreshold: 30 },
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      volumeMounts: [{ name: 'config', mountPath: '/etc/shop' }],
    })),
    volumes: [{ name: 'config', configMap: { name: 'shop-config' } }],
    serviceAccountName: 'shop',
  },
};

const manyEnvVars: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'many-env', namespace: 'bench', labels: { app: 'many-env' } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'app:1',
        env: Array.from({ length: 2000 }, (_, i) => ({ name: `ENV_VAR_${i}`, value: `value-of-environment-variable-${i}` })),
      },
    ],
  },
};

export const PAYLOADS: Payload[] = [
  { name: 'hello', pod: hello },
  { name: 'multi-container+probes', pod: multiContainer },
  { name: '2000 env vars', pod: manyEnvVars },
];
