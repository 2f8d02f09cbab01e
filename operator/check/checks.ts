// `meshloom check`: pre-flight (can meshloom run here?) and health (is each installation well?). Each check
// is a pure function of data the command fetched, returning a line a person can act on.

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found; for a failure, what is wrong and what to do. */
  message: string;
}

export const MIN_KUBERNETES_MINOR = 30;
export const CERTIFICATE_WARNING_DAYS = 30;

export function checkKubernetesVersion(gitVersion: string): CheckResult {
  const match = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  const minor = match && match[1] === '1' ? Number(match[2]) : NaN;
  const ok = minor >= MIN_KUBERNETES_MINOR;
  return {
    name: 'kubernetes-version',
    ok,
    message: ok
      ? `Kubernetes ${gitVersion} (native sidecars need 1.33+ kubelets)`
      : `Kubernetes ${gitVersion} is older than 1.${MIN_KUBERNETES_MINOR}; upgrade the cluster`,
  };
}

export interface AccessNeed {
  verb: string;
  group: string;
  resource: string;
  allowed: boolean;
}

export function checkPermissions(needs: AccessNeed[]): CheckResult {
  const denied = needs.filter((n) => !n.allowed).map((n) => `${n.verb} ${n.resource}${n.group ? `.${n.group}` : ''}`);
  return {
    name: 'rbac',
    ok: denied.length === 0,
    message:
      denied.length === 0
        ? `allowed to ${needs.length} verb/resource pairs the operator uses`
        : `missing permissions: ${denied.join(', ')}; apply the ClusterRole from dist/install.yaml`,
  };
}

export interface CrdInfo {
  name: string;
  versions: Array<{ name: string; served: boolean; storage: boolean }>;
  established: boolean;
}

export function checkCrd(crd: CrdInfo | undefined, version: string): CheckResult {
  const served = crd?.versions.find((v) => v.name === version && v.served);
  const ok = Boolean(crd?.established && served);
  return {
    name: 'crd',
    ok,
    message: ok
      ? `${crd!.name} serves ${version}`
      : crd
        ? `${crd.name} does not serve ${version} or is not Established; re-apply crds/ (kubectl apply --server-side -f crds/)`
        : 'the MeshInstallation CRD is not installed; apply dist/install.yaml or crds/',
  };
}

export interface MeshHealth {
  name: string;
  version?: string;
  conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  components: Array<{ name: string; desired: number; ready: number }>;
}

export function checkMesh(mesh: MeshHealth): CheckResult[] {
  const ready = mesh.conditions.find((c) => c.type === 'Ready');
  const results: CheckResult[] = [
    {
      name: `${mesh.name}/ready`,
      ok: ready?.status === 'True',
      message: ready ? `Ready=${ready.status} (${ready.reason}): ${ready.message}` : 'no Ready condition yet: is the operator running?',
    },
  ];
  for (const c of mesh.components) {
    results.push({
      name: `${mesh.name}/${c.name}`,
      ok: c.desired > 0 && c.ready >= c.desired,
      message:
        c.desired === 0
          ? `${c.name} wants 0 replicas: it is scaled to zero or cannot be scheduled; scale it up or check its Deployment`
          : `${c.ready}/${c.desired} ready`,
    });
  }
  return results;
}

export function checkWebhookReachable(name: string, reachable: boolean, detail: string): CheckResult {
  return {
    name: `${name}/webhook`,
    ok: reachable,
    message: reachable ? `webhook answered: ${detail}` : `webhook unreachable (${detail}); pods in injection-enabled namespaces cannot be created — is the operator running?`,
  };
}

export function checkCertificateExpiry(name: string, notAfter: Date, now: Date): CheckResult {
  const days = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
  const ok = days >= CERTIFICATE_WARNING_DAYS;
  return {
    name: `${name}/webhook-certificate`,
    ok,
    message: ok
      ? `serving certificate valid for ${days} more days`
      : `serving certificate expires in ${days} days (${notAfter.toISOString()}); the operator rotates it automatically — if it has not, check the operator's log and the webhook Secret`,
  };
}

export interface InjectedPod {
  namespace: string;
  name: string;
  proxyImage: string;
}

export function checkStaleProxies(name: string, version: string | undefined, pods: InjectedPod[]): CheckResult {
  if (!version) return { name: `${name}/proxies`, ok: true, message: 'no installed version yet; proxy versions not checked' };
  const stale = pods.filter((p) => !p.proxyImage.endsWith(`:${version}`));
  return {
    name: `${name}/proxies`,
    ok: stale.length === 0,
    message:
      stale.length === 0
        ? `${pods.length} injected pod(s), all on ${version}`
        : `${stale.length} pod(s) run an old proxy (${stale.slice(0, 5).map((p) => `${p.namespace}/${p.name}`).join(', ')}${stale.length > 5 ? ', …' : ''}); restart their workloads or enable spec.updateStrategy.workloads.restart`,
  };
}
