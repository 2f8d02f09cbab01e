// kubectl as users run it: the version-matched binary of the local cluster (built by e2e/cluster), or the
// one on PATH for kind. Tests use it where the acceptance criteria say "kubectl apply".
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { e2eTarget, kubeconfigPath } from './cluster.js';

export function kubectlBinary(): string {
  const cache = process.env.MESHLOOM_CACHE ?? join(homedir(), '.cache', 'meshloom');
  const local = join(cache, `k8s-v${process.env.K8S_VERSION ?? '1.36.1'}`, 'bin', 'kubectl');
  return e2eTarget() === 'local' && existsSync(local) ? local : 'kubectl';
}

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function kubectl(args: string[], input?: string): KubectlResult {
  const result = spawnSync(kubectlBinary(), ['--kubeconfig', kubeconfigPath(), ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/**
 * kubectl without blocking the event loop: needed when this process itself must answer the API server
 * meanwhile (an in-process webhook server).
 */
export function kubectlAsync(args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(kubectlBinary(), ['--kubeconfig', kubeconfigPath(), ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

/** kubectl that must succeed; the error carries kubectl's own message. */
export function kubectlOk(args: string[], input?: string): string {
  const result = kubectl(args, input);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}
