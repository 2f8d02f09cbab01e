// Runs the operator for e2e tests. E2E_TARGET=local: a host process (node + tsx, the same entry point as the
// image) with its webhook on 127.0.0.1 and a `url:` clientConfig. The CRD is applied the way users apply it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KubeClient, type KubeObject } from '../../operator/runtime/kube.js';
import { OPERATOR_NAME, renderInstallBundle } from '../../cdk8s/bundle/install-bundle.js';
import { e2eTarget, REPO_ROOT, waitFor } from './cluster.js';
import { kubectlOk } from './kubectl.js';

export const OPERATOR_NAMESPACE = 'meshloom-system';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Server-side applies every document of crds/ and waits until each CRD is Established. */
export async function applyCrds(kubeConfig: k8s.KubeConfig): Promise<void> {
  const client = new KubeClient(kubeConfig);
  const text = readFileSync(join(REPO_ROOT, 'crds', 'meshinstallation.yaml'), 'utf8');
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS();
    if (!crd) continue;
    await client.apply(crd);
    await waitFor(
      async () => {
        const live = (await client.get(crd)) as { status?: { conditions?: Array<{ type: string; status: string }> } } | undefined;
        return live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { timeoutMs: 30_000, description: `CRD ${crd.metadata.name} to be Established` },
    );
  }
}

export const OPERATOR_SERVICE_ACCOUNT = OPERATOR_NAME;
export const OPERATOR_USERNAME = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`;

/** The kinds of dist/install.yaml that give the operator its identity and permissions. */
const IDENTITY_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/**
 * A kubeconfig that authenticates as the install bundle's ServiceAccount (a TokenRequest token), with exactly
 * the bundle's RBAC: the e2e suite proves those permissions are enough, and the audit log can tell the
 * operator's requests from the test's.
 */
export async function operatorKubeconfig(kubeConfig: k8s.KubeConfig): Promise<string> {
  const client = new KubeClient(kubeConfig);
  const bundle = renderInstallBundle({ version: 'e2e', image: 'unused', namespace: OPERATOR_NAMESPACE });
  for (const obj of bundle.filter((o) => IDENTITY_KINDS.has(o.kind as string))) await client.apply(obj as KubeObject);
  const token = await waitFor(
    async () =>
      (await client.core.createNamespacedServiceAccountToken({
        name: OPERATOR_SERVICE_ACCOUNT,
        namespace: OPERATOR_NAMESPACE,
        body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } } as k8s.AuthenticationV1TokenRequest,
      })).status?.token,
    { timeoutMs: 30_000, description: 'a ServiceAccount token for the operator' },
  );
  const cluster = kubeConfig.getCurrentCluster()!;
  const path = join(REPO_ROOT, '.local', 'operator.kubeconfig');
  const operatorConfig = new k8s.KubeConfig();
  operatorConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: OPERATOR_SERVICE_ACCOUNT, token }],
    contexts: [{ name: 'operator', cluster: cluster.name, user: OPERATOR_SERVICE_ACCOUNT }],
    currentContext: 'operator',
  });
  writeFileSync(path, operatorConfig.exportConfig(), { mode: 0o600 });
  return path;
}

export interface RunningOperator {
  pid: number;
  /** Resolves once /readyz answers 200; rejects if the process exits first or after 60 s. */
  ready(): Promise<void>;
  probeUrl: string;
  webhookPort: number;
  logPath: string;
  stop(): Promise<number | null>;
}

/**
 * E2E_TARGET=kind: the operator runs in the cluster from dist/install.yaml (e2e/harness/target.ts deployed it);
 * "starting" scales its Deployment up and waits for the rollout, "stopping" scales it to zero.
 */
function inClusterOperator(): RunningOperator {
  const deployment = ['-n', OPERATOR_NAMESPACE, 'deployment/meshloom-operator'];
  const ready = async () => {
    kubectlOk(['-n', OPERATOR_NAMESPACE, 'scale', 'deployment/meshloom-operator', '--replicas=2']);
    kubectlOk(['rollout', 'status', ...deployment, '--timeout=120s']);
  };
  return {
    pid: -1,
    ready,
    probeUrl: `http://${OPERATOR_NAME}.${OPERATOR_NAMESPACE}.svc:8080`,
    webhookPort: 443,
    logPath: `kubectl -n ${OPERATOR_NAMESPACE} logs ${deployment[2]}`,
    async stop() {
      kubectlOk(['-n', OPERATOR_NAMESPACE, 'scale', 'deployment/meshloom-operator', '--replicas=0']);
      kubectlOk(['-n', OPERATOR_NAMESPACE, 'wait', '--for=delete', 'pod', '-l', `app.kubernetes.io/name=${OPERATOR_NAME}`, '--timeout=60s']);
      return 0;
    },
  };
}

/** Starts the operator and, unless `waitReady` is false, waits until it is ready. */
export async function startOperator(kubeconfig: string, extraArgs: string[] = [], { waitReady = true } = {}): Promise<RunningOperator> {
  if (e2eTarget() === 'kind') {
    const operator = inClusterOperator();
    if (waitReady) await operator.ready();
    return operator;
  }
  const [webhookPort, probePort] = [await freePort(), await freePort()];
  const logDir = join(REPO_ROOT, '.local', 'logs');
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `operator-${Date.now()}.log`);
  const log = createWriteStream(logPath);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import', 'tsx', join(REPO_ROOT, 'operator', 'main.ts'),
      `--namespace=${OPERATOR_NAMESPACE}`,
      '--webhook-host=127.0.0.1', `--webhook-port=${webhookPort}`,
      `--webhook-url=https://127.0.0.1:${webhookPort}`,
      '--probe-host=127.0.0.1', `--probe-port=${probePort}`,
      ...extraArgs,
    ],
    { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // An operator must not outlive the test or benchmark that started it, even when that process crashes.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => process.off('exit', killChild));
  const probeUrl = `http://127.0.0.1:${probePort}`;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const ready = async () => {
    await waitFor(
      async () => {
        if (exitCode !== undefined) throw new Error(`operator exited with code ${exitCode}; see ${logPath}`);
        return (await fetch(`${probeUrl}/readyz`)).ok;
      },
      { timeoutMs: 60_000, intervalMs: 300, description: `the operator to become ready (log: ${logPath})` },
    );
  };
  if (waitReady) await ready();
  return {
    pid: child.pid!,
    ready,
    probeUrl,
    webhookPort,
    logPath,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      const code = await exited;
      process.off('exit', killChild);
      log.end();
      return code;
    },
  };
}
