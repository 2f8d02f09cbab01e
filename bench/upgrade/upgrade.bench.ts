// bench/upgrade: on the local cluster, installs a MeshInstallation at Istio 1.29.8, edits spec.version to 1.30.3
// and prints, per strategy:
//   edit → fully upgraded   (InPlace: Ready at 1.30.3; RevisionBased: the default tag on 1-30-3 and Ready)
//   edit → old revision removed (RevisionBased, grace period 0, no pods on it)
//   API requests and writes per upgrade (the operator's, from the audit log), reconciles per upgrade.
// Usage: make cluster-up && node --import tsx bench/upgrade/upgrade.bench.ts [iterations=3] [InPlace|RevisionBased] [default|ambient]
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { GROUP, PLURAL, VERSION } from '../../operator/api/names.js';
import type { MeshInstallationSpec, MeshInstallationStatus } from '../../operator/api/v1alpha1/index.js';
import { KubeClient } from '../../operator/runtime/kube.js';
import { auditEvents } from '../../e2e/harness/audit.js';
import { loadKubeConfig, uniqueName, waitFor } from '../../e2e/harness/cluster.js';
import { kubectl, kubectlOk } from '../../e2e/harness/kubectl.js';
import { applyCrds, operatorKubeconfig, OPERATOR_USERNAME, startOperator } from '../../e2e/harness/operator.js';

const iterations = Number(process.argv[2] ?? 3);
const strategy = (process.argv[3] ?? 'InPlace') as 'InPlace' | 'RevisionBased';
const profile = (process.argv[4] ?? 'default') as 'default' | 'ambient';
const [FROM, TO] = ['1.29.8', '1.30.3'];
const WRITES = new Set(['create', 'patch', 'update', 'delete']);
const kubeConfig = loadKubeConfig();
const client = new KubeClient(kubeConfig);

type Mesh = { metadata: { generation?: number }; status?: MeshInstallationStatus };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function reconcileCount(probeUrl: string): Promise<number> {
  const text = await (await fetch(`${probeUrl}/metrics`)).text();
  return [...text.matchAll(/^meshloom_reconcile_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

async function waitForMesh(name: string, description: string, check: (mesh: Mesh) => boolean): Promise<void> {
  await waitFor(
    async () => {
      const mesh = await client.getClusterObject<Mesh>(GROUP, VERSION, PLURAL, name);
      return mesh && check(mesh);
    },
    { timeoutMs: 300_000, intervalMs: 50, description: `${name}: ${description}` },
  );
}

const readyAt = (version: string) => (mesh: Mesh) =>
  mesh.status?.version === version &&
  mesh.status.observedGeneration === mesh.metadata.generation &&
  mesh.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

function spec(version: string): MeshInstallationSpec {
  const small = { requests: { cpu: '10m', memory: '32Mi' } };
  return {
    version,
    profile,
    namespace: uniqueName('bench-up-cp'),
    controlPlane: { replicas: 1, resources: small },
    // Short grace periods: kwok takes up to a pod's grace period to delete it, which would be measured too.
    ...(profile === 'ambient' ? { nodeTunnel: { enabled: true, terminationGracePeriodSeconds: 2, resources: small } } : {}),
    ...(profile === 'default'
      ? { gateways: [{ name: 'ingressgateway', namespace: uniqueName('bench-up-gw'), resources: small, drain: { duration: '1s' }, terminationGracePeriodSeconds: 2, service: { type: 'ClusterIP' as const } }] }
      : {}),
    updateStrategy: { type: strategy, inactiveRevisionDeletionGracePeriodSeconds: 0 },
  };
}

await applyCrds(kubeConfig);
const operator = await startOperator(await operatorKubeconfig(kubeConfig));
const rows: Array<{ upgraded: number; removed?: number; requests: number; writes: number; crdWrites: number; eventWrites: number; reconciles: number }> = [];
try {
  for (let i = 0; i < iterations; i++) {
    const name = uniqueName('bench-up');
    const initial = spec(FROM);
    kubectlOk(['apply', '-f', '-'], stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: 'MeshInstallation', metadata: { name }, spec: initial }));
    await waitForMesh(name, `Ready at ${FROM}`, readyAt(FROM));
    await sleep(1_000); // let the install's last writes land before the measured window opens

    const reconcilesBefore = await reconcileCount(operator.probeUrl);
    const since = new Date();
    const started = performance.now();
    kubectlOk(['patch', 'meshinstallation', name, '--type=merge', '-p', JSON.stringify({ spec: { version: TO } })]);
    const newRevision = strategy === 'RevisionBased' ? '1-30-3' : 'default';
    await waitForMesh(name, `upgraded to ${TO}`, (m) => readyAt(TO)(m) && m.status?.activeRevision === newRevision);
    const upgraded = performance.now() - started;
    let removed: number | undefined;
    if (strategy === 'RevisionBased') {
      await waitForMesh(name, 'the old revision removed', (m) => m.status?.revisions?.length === 1);
      removed = performance.now() - started;
    }
    await sleep(1_500); // the audit log is written at ResponseComplete
    const events = auditEvents(OPERATOR_USERNAME, since);
    rows.push({
      upgraded,
      removed,
      requests: events.length,
      writes: events.filter((e) => WRITES.has(e.verb)).length,
      crdWrites: events.filter((e) => WRITES.has(e.verb) && e.objectRef?.resource === 'customresourcedefinitions').length,
      eventWrites: events.filter((e) => WRITES.has(e.verb) && e.objectRef?.resource === 'events').length,
      reconciles: (await reconcileCount(operator.probeUrl)) - reconcilesBefore,
    });
    kubectl(['delete', 'meshinstallation', name, '--wait=true', '--timeout=120s']);
  }
} finally {
  await operator.stop();
}

const col = (values: number[]) => `${String(Math.round(percentile(values, 50))).padStart(7)}  ${String(Math.round(Math.max(...values))).padStart(7)}`;
console.log(`bench/upgrade: ${strategy}, profile ${profile}, ${FROM} → ${TO}, ${iterations} upgrades on the local cluster (3 kwok nodes)`);
console.log('metric                                  p50      max');
console.log(`edit → fully upgraded (ms)          ${col(rows.map((r) => r.upgraded))}`);
if (strategy === 'RevisionBased') console.log(`edit → old revision removed (ms)    ${col(rows.map((r) => r.removed!))}`);
console.log(`reconciles per upgrade              ${col(rows.map((r) => r.reconciles))}`);
console.log(`API requests per upgrade            ${col(rows.map((r) => r.requests))}`);
console.log(`  of which writes                   ${col(rows.map((r) => r.writes))}`);
console.log(`    Istio CRD patches               ${col(rows.map((r) => r.crdWrites))}`);
console.log(`    Events                          ${col(rows.map((r) => r.eventWrites))}`);
