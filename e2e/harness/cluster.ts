// Where the e2e tests find their cluster, plus the small helpers every e2e test needs.
// E2E_TARGET=local (default): the loopback control plane of e2e/cluster/cluster.sh.
// E2E_TARGET=kind: the kind cluster that e2e/harness/target.ts creates.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type E2ETarget = 'local' | 'kind';

export class UnknownE2ETargetError extends Error {
  constructor(readonly value: string) {
    super(`E2E_TARGET=${value} is not a known target; set it to "local" (default) or "kind"`);
    this.name = 'UnknownE2ETargetError';
  }
}

export class ClusterNotRunningError extends Error {
  constructor(
    readonly target: E2ETarget,
    readonly kubeconfig: string,
  ) {
    super(
      target === 'local'
        ? `No local cluster kubeconfig at ${kubeconfig}; start the cluster with \`make cluster-up\``
        : `No kind kubeconfig at ${kubeconfig}; create the cluster with \`E2E_TARGET=kind node --import tsx e2e/harness/target.ts up\``,
    );
    this.name = 'ClusterNotRunningError';
  }
}

export class WaitTimeoutError extends Error {
  constructor(
    readonly description: string,
    readonly timeoutMs: number,
    readonly lastError: unknown,
  ) {
    const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
    super(`Timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    this.name = 'WaitTimeoutError';
  }
}

export function e2eTarget(): E2ETarget {
  const value = process.env.E2E_TARGET ?? 'local';
  if (value !== 'local' && value !== 'kind') throw new UnknownE2ETargetError(value);
  return value;
}

/** State directory of the local cluster; matches MESHLOOM_CLUSTER_DIR in e2e/cluster/lib.sh. */
export function localClusterDir(): string {
  return process.env.MESHLOOM_CLUSTER_DIR ?? join(REPO_ROOT, '.local', 'cluster');
}

/**
 * The local cluster's audit log: one JSON event per line at Metadata level for every request
 * (RequestReceived omitted, so a write appears once, at stage ResponseComplete).
 */
export function localAuditLogPath(): string {
  return join(localClusterDir(), 'logs', 'audit.log');
}

export function kubeconfigPath(target: E2ETarget = e2eTarget()): string {
  return target === 'local'
    ? join(localClusterDir(), 'admin.kubeconfig')
    : join(REPO_ROOT, '.local', 'kind', 'kubeconfig');
}

/** A cluster-admin KubeConfig for the current target; throws if that cluster is not up. */
export function loadKubeConfig(target: E2ETarget = e2eTarget()): KubeConfig {
  const path = kubeconfigPath(target);
  if (!existsSync(path)) throw new ClusterNotRunningError(target, path);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is being waited for, completing "Timed out … waiting for <description>". */
  description: string;
}

/**
 * Polls `check` until it returns something other than undefined/null/false and returns that.
 * A throwing check counts as "not yet" (objects often 404 until a controller creates them); the
 * last error is reported on timeout.
 */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs, intervalMs = 250, description }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined && result !== null && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(description, timeoutMs, lastError);
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** `<prefix>-<6 hex chars>`: a valid DNS-1123 label, unique per test run. */
export function uniqueName(prefix: string): string {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56);
  return `${base || 'e2e'}-${randomBytes(3).toString('hex')}`;
}
