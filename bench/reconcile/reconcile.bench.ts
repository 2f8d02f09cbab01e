// bench/reconcile: on the local cluster, installs a MeshInstallation N times and prints
//   apply → every child applied, apply → Ready, API requests per reconcile (from the audit log and the
//   operator's own reconcile counter), and the operator's resident memory.
// Usage: make cluster-up && node --import tsx bench/reconcile/reconcile.bench.ts [iterations=5] [profile=default]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { renderMeshInstallation } from '../../cdk8s/render.js';
import { GROUP, LABELS, PLURAL, VERSION } from '../../operator/api/names.js';
import { OWNED_KINDS } from '../../operator/runtime/kinds.js';
import { KubeClient } from '../../operator/runtime/kube.js';
import { auditEvents } from '../../e2e/harness/audit.js';
import { loadKubeConfig, REPO_ROOT, uniqueName, waitFor } from '../../e2e/harness/cluster.js';
import { kubectl, kubectlOk } from '../../e2e/harness/kubectl.js';
import { applyCrds, operatorKubeconfig, OPERATOR_USERNAME, startOperator } from '../../e2e/harness/operator.js';

const iterations = Number(process.argv[2] ?? 5);
const profile = process.argv[3] ?? 'default';
const kubeConfig = loadKubeConfig();
const client = new KubeClient(kubeConfig);

/** Counted apart: a namespace may pre-exist, and Istio's CRDs are shared by every installation. */
const SHARED_OR_USERS = new Set(['Namespace', 'CustomResourceDefinition']);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function reconcileCount(probeUrl: string): Promise<number> {
  const text = await (await fetch(`${probeUrl}/metrics`)).text();
  return [...text.matchAll(/^meshloom_reconcile_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

async function ownedCount(name: string): Promise<number> {
  const lists = await Promise.all(OWNED_KINDS.filter((k) => !SHARED_OR_USERS.has(k.kind)).map((k) => client.list(k.apiVersion, k.kind, `${LABELS.installation}=${name}`)));
  return lists.flat().length;
}

await applyCrds(kubeConfig);
const operator = await startOperator(await operatorKubeconfig(kubeConfig));
const base = parse(readFileSync(join(REPO_ROOT, 'examples', 'mesh-default.yaml'), 'utf8'));
const rows: Array<{ applied: number; ready: number; requests: number; writes: number; reconciles: number; rss: number }> = [];

for (let i = 0; i < iterations; i++) {
  const name = uniqueName('bench');
  // Each install gets its own namespaces, so runs never share (and never conflict over) one.
  const gateways = profile === 'default' ? [{ name: 'ingressgateway', namespace: uniqueName('bench-gw') }] : undefined;
  const mesh = { ...base, metadata: { name }, spec: { ...base.spec, profile, namespace: uniqueName('bench-cp'), ...(gateways && { gateways }) } };
  const expected = renderMeshInstallation(mesh, {
    operatorNamespace: 'meshloom-system',
    injector: { clientConfig: { url: 'https://127.0.0.1' }, failurePolicy: 'Fail' },
  }).flatMap((c) => c.objects).filter((o) => !SHARED_OR_USERS.has(o.kind)).length;
  const reconcilesBefore = await reconcileCount(operator.probeUrl);
  const since = new Date();
  const started = performance.now();
  kubectlOk(['apply', '-f', '-'], stringify(mesh));
  await waitFor(async () => (await ownedCount(name)) >= expected, { timeoutMs: 60_000, intervalMs: 50, description: `${expected} children of ${name}` });
  const applied = performance.now() - started;
  await waitFor(
    async () => {
      const m = await client.getClusterObject<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(GROUP, VERSION, PLURAL, name);
      return m?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    { timeoutMs: 60_000, intervalMs: 50, description: `${name} Ready` },
  );
  const ready = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1500)); // the audit log is written at ResponseComplete
  const events = auditEvents(OPERATOR_USERNAME, since);
  const reconciles = (await reconcileCount(operator.probeUrl)) - reconcilesBefore;
  const writes = events.filter((e) => ['create', 'patch', 'update', 'delete'].includes(e.verb)).length;
  rows.push({ applied, ready, requests: events.length, writes, reconciles, rss: rssMiB(operator.pid) });
  kubectl(['delete', 'meshinstallation', name, '--wait=true', '--timeout=60s']);
}
await operator.stop();

const col = (k: keyof (typeof rows)[number]) => rows.map((r) => r[k]);
const fmt = (n: number) => n.toFixed(0).padStart(7);
console.log(`bench/reconcile: profile ${profile}, ${iterations} installs on the local cluster (3 kwok nodes)`);
console.log('metric                               p50      max');
console.log(`apply → every child applied (ms) ${fmt(percentile(col('applied'), 50))}  ${fmt(Math.max(...col('applied')))}`);
console.log(`apply → Ready (ms)               ${fmt(percentile(col('ready'), 50))}  ${fmt(Math.max(...col('ready')))}`);
console.log(`reconciles per install           ${fmt(percentile(col('reconciles'), 50))}  ${fmt(Math.max(...col('reconciles')))}`);
console.log(`API requests per install         ${fmt(percentile(col('requests'), 50))}  ${fmt(Math.max(...col('requests')))}`);
console.log(`  of which writes                ${fmt(percentile(col('writes'), 50))}  ${fmt(Math.max(...col('writes')))}`);
const perReconcile = rows.map((r) => r.requests / Math.max(1, r.reconciles));
console.log(`API requests per reconcile       ${fmt(percentile(perReconcile, 50))}  ${fmt(Math.max(...perReconcile))}`);
console.log(`operator RSS (MiB)               ${fmt(percentile(col('rss'), 50))}  ${fmt(Math.max(...col('rss')))}`);
