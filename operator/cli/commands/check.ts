// `meshloom check [--name NAME] [--operator-namespace NS]`: pre-flight and health report against the current
// kubeconfig context, like `istioctl x precheck` and `linkerd check`. Exits 1 when any check fails.
import { connect } from 'node:tls';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { GROUP, LABELS, PLURAL, VERSION } from '../../api/names.js';
import { OPERATOR_CLUSTER_RULES } from '../../api/rbac.js';
import {
  checkCertificateExpiry,
  checkCrd,
  checkKubernetesVersion,
  checkMesh,
  checkPermissions,
  checkStaleProxies,
  checkWebhookReachable,
  type CheckResult,
  type InjectedPod,
  type MeshHealth,
} from '../../check/checks.js';

type Mesh = { metadata: { name: string }; status?: { version?: string; conditions?: MeshHealth['conditions'] } };

async function preflight(kc: k8s.KubeConfig): Promise<CheckResult[]> {
  const version = await kc.makeApiClient(k8s.VersionApi).getCode();
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  const needs = await Promise.all(
    OPERATOR_CLUSTER_RULES.flatMap((rule) =>
      rule.resources.flatMap((resource) =>
        rule.verbs.map(async (verb) => {
          const [name, subresource] = resource.split('/');
          const review = await authz.createSelfSubjectAccessReview({
            body: { spec: { resourceAttributes: { verb, group: rule.apiGroups[0], resource: name, subresource } } },
          });
          return { verb, group: rule.apiGroups[0]!, resource, allowed: review.status?.allowed ?? false };
        }),
      ),
    ),
  );
  const crd = await kc
    .makeApiClient(k8s.ApiextensionsV1Api)
    .readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` })
    .catch(() => undefined);
  return [
    checkKubernetesVersion(version.gitVersion),
    checkPermissions(needs),
    checkCrd(
      crd && {
        name: crd.metadata!.name!,
        versions: crd.spec.versions.map((v) => ({ name: v.name, served: v.served, storage: v.storage })),
        established: crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false,
      },
      VERSION,
    ),
  ];
}

/** The webhook's serving certificate as the API server sees it: a TLS handshake to the configured URL. */
function peerCertificate(url: string, caBundle: string | undefined): Promise<{ notAfter: Date; detail: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port || 443), servername: hostname === '127.0.0.1' ? undefined : hostname, ca: caBundle ? Buffer.from(caBundle, 'base64') : undefined, timeout: 5_000 },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve({ notAfter: new Date(cert.valid_to), detail: `TLS to ${hostname}:${port} verified against caBundle` });
      },
    );
    socket.on('timeout', () => socket.destroy(new Error('timed out')));
    socket.on('error', reject);
  });
}

async function webhookChecks(kc: k8s.KubeConfig, mesh: Mesh, now: Date): Promise<CheckResult[]> {
  const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const list = await admission.listMutatingWebhookConfiguration({ labelSelector: `${LABELS.installation}=${mesh.metadata.name}` });
  const hook = list.items[0]?.webhooks?.[0];
  if (!hook) return [checkWebhookReachable(mesh.metadata.name, false, 'no MutatingWebhookConfiguration for this installation')];
  const config = hook.clientConfig;
  if (!config.url) {
    // In-cluster Service: the API server reaches it through the Service's endpoints.
    const svc = config.service!;
    const slices = await kc.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: svc.namespace, labelSelector: `kubernetes.io/service-name=${svc.name}` });
    const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
    return [checkWebhookReachable(mesh.metadata.name, ready > 0, `${ready} ready endpoint(s) behind Service ${svc.namespace}/${svc.name}`)];
  }
  try {
    const { notAfter, detail } = await peerCertificate(config.url, config.caBundle);
    return [checkWebhookReachable(mesh.metadata.name, true, detail), checkCertificateExpiry(mesh.metadata.name, notAfter, now)];
  } catch (err) {
    return [checkWebhookReachable(mesh.metadata.name, false, err instanceof Error ? err.message : String(err))];
  }
}

async function injectedPods(kc: k8s.KubeConfig): Promise<InjectedPod[]> {
  const pods = await kc.makeApiClient(k8s.CoreV1Api).listPodForAllNamespaces({ labelSelector: 'security.istio.io/tlsMode=istio' });
  return pods.items.flatMap((p) => {
    const proxy = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === 'istio-proxy');
    return proxy ? [{ namespace: p.metadata!.namespace!, name: p.metadata!.name!, proxyImage: proxy.image ?? '' }] : [];
  });
}

/** Workloads as they are now (not as the last status said): a Deployment scaled to zero shows up at once. */
async function liveComponents(kc: k8s.KubeConfig, installation: string): Promise<MeshHealth['components']> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const labelSelector = `${LABELS.installation}=${installation}`;
  const [deployments, daemonSets] = await Promise.all([
    apps.listDeploymentForAllNamespaces({ labelSelector }),
    apps.listDaemonSetForAllNamespaces({ labelSelector }),
  ]);
  return [
    ...deployments.items.map((d) => ({
      name: `${d.metadata?.labels?.[LABELS.component] ?? 'deployment'} ${d.metadata!.namespace}/${d.metadata!.name}`,
      desired: d.spec?.replicas ?? 1,
      ready: d.status?.readyReplicas ?? 0,
    })),
    ...daemonSets.items.map((d) => ({
      name: `${d.metadata?.labels?.[LABELS.component] ?? 'daemonset'} ${d.metadata!.namespace}/${d.metadata!.name}`,
      desired: d.status?.desiredNumberScheduled ?? 0,
      ready: d.status?.numberReady ?? 0,
    })),
  ];
}

async function health(kc: k8s.KubeConfig, only: string | undefined, now: Date): Promise<CheckResult[]> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const meshes = ((await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as { items: Mesh[] }).items.filter(
    (m) => !only || m.metadata.name === only,
  );
  if (only && meshes.length === 0) return [{ name: only, ok: false, message: `MeshInstallation ${only} not found` }];
  const pods = meshes.length > 0 ? await injectedPods(kc) : [];
  const results: CheckResult[] = [];
  for (const mesh of meshes) {
    const components = await liveComponents(kc, mesh.metadata.name);
    results.push(...checkMesh({ name: mesh.metadata.name, version: mesh.status?.version, conditions: mesh.status?.conditions ?? [], components }));
    results.push(...(await webhookChecks(kc, mesh, now)));
    results.push(checkStaleProxies(mesh.metadata.name, mesh.status?.version, pods));
  }
  return results;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { name: { type: 'string' }, 'pre-flight-only': { type: 'boolean', default: false } }, strict: true });
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const now = new Date();
  const sections: Array<[string, CheckResult[]]> = [['Pre-flight', await preflight(kc)]];
  if (!values['pre-flight-only']) sections.push(['Health', await health(kc, values.name, now)]);
  let failed = 0;
  for (const [title, results] of sections) {
    process.stdout.write(`${title}\n`);
    for (const r of results) {
      if (!r.ok) failed++;
      process.stdout.write(`  ${r.ok ? '✔' : '✘'} ${r.name}: ${r.message}\n`);
    }
  }
  process.stdout.write(failed === 0 ? 'All checks passed\n' : `${failed} check(s) failed\n`);
  return failed === 0 ? 0 : 1;
}
