// `make demo`: the local control plane (already started by the Makefile), the CRD, the operator as a host
// process, examples/mesh-default.yaml, a live progress display until Ready, then a labelled namespace with a
// sample app whose pod gets istio-proxy — and a printout of what exists. `make demo-down` undoes it all.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { GROUP, PLURAL, VERSION } from '../../operator/api/names.js';
import { KubeClient } from '../../operator/runtime/kube.js';
import { kubeconfigPath, loadKubeConfig, REPO_ROOT, waitFor } from '../harness/cluster.js';
import { kubectlBinary, kubectlOk } from '../harness/kubectl.js';
import { applyCrds, freePort, operatorKubeconfig } from '../harness/operator.js';

const DEMO_DIR = join(REPO_ROOT, '.local', 'demo');
const PID_FILE = join(DEMO_DIR, 'operator.pid');
const MESH_FILE = join(REPO_ROOT, 'examples', 'mesh-default.yaml');
const APP_NAMESPACE = 'demo';
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function step(text: string): void {
  console.log(`\n${bold(`==> ${text}`)}`);
}

function operatorRunning(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8'));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function startOperator(kubeconfig: string): Promise<void> {
  if (operatorRunning()) {
    console.log('    operator already running (pid file .local/demo/operator.pid)');
    return;
  }
  mkdirSync(DEMO_DIR, { recursive: true });
  const [webhookPort, probePort] = [await freePort(), await freePort()];
  const log = openSync(join(DEMO_DIR, 'operator.log'), 'a');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'operator', 'main.ts'), '--namespace=meshloom-system', '--webhook-host=127.0.0.1', `--webhook-port=${webhookPort}`,
      `--webhook-url=https://127.0.0.1:${webhookPort}`, '--probe-host=127.0.0.1', `--probe-port=${probePort}`],
    { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', log, log], detached: true },
  );
  child.unref();
  writeFileSync(PID_FILE, String(child.pid));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`)).ok, {
    timeoutMs: 60_000,
    intervalMs: 300,
    description: 'the operator to become ready (log: .local/demo/operator.log)',
  });
  console.log(`    operator pid ${child.pid}, webhook https://127.0.0.1:${webhookPort}, metrics http://127.0.0.1:${probePort}/metrics`);
  console.log('    log: .local/demo/operator.log');
}

type Mesh = { status?: { conditions?: Array<{ type: string; status: string; message: string }> } };

async function waitForReady(client: KubeClient, name: string): Promise<void> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const mesh = await client.getClusterObject<Mesh>(GROUP, VERSION, PLURAL, name);
    const ready = mesh?.status?.conditions?.find((c) => c.type === 'Ready');
    const progressing = mesh?.status?.conditions?.find((c) => c.type === 'Progressing');
    const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    const line = ready?.status === 'True' ? `Ready: ${ready.message}` : (progressing?.message ?? ready?.message ?? 'waiting for the operator');
    if (line !== last) {
      console.log(`    [${elapsed}s] ${line}`);
      last = line;
    }
    if (ready?.status === 'True') return;
    if (Date.now() - started > 120_000) throw new Error(`MeshInstallation ${name} not Ready after 120 s: ${line}`);
    await sleep(250);
  }
}

async function up(): Promise<void> {
  const started = Date.now();
  const kubeConfig = loadKubeConfig();
  const client = new KubeClient(kubeConfig);
  step('Installing the MeshInstallation CRD');
  await applyCrds(kubeConfig);
  console.log('    customresourcedefinition/meshinstallations.mesh.meshloom.dev established');

  step('Starting the operator (host process, webhook on 127.0.0.1)');
  await startOperator(await operatorKubeconfig(kubeConfig));

  step('kubectl apply -f examples/mesh-default.yaml');
  console.log(kubectlOk(['apply', '-f', MESH_FILE]).trimEnd().replace(/^/gm, '    '));
  const name = (parse(readFileSync(MESH_FILE, 'utf8')) as { metadata: { name: string } }).metadata.name;
  await waitForReady(client, name);

  step(`Labelling namespace ${APP_NAMESPACE} istio-injection=enabled and deploying a sample app`);
  kubectlOk(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${APP_NAMESPACE}\n  labels:\n    istio-injection: enabled\n`);
  kubectlOk(['apply', '-f', join(REPO_ROOT, 'examples', 'sample-app.yaml'), '-n', APP_NAMESPACE]);
  const pod = await waitFor(
    () => kubectlOk(['-n', APP_NAMESPACE, 'get', 'pods', '-l', 'app=hello', '-o', 'jsonpath={.items[0].metadata.name}']).trim(),
    { timeoutMs: 30_000, description: 'the sample pod to be created' },
  );

  step('kubectl get mesh');
  console.log(kubectlOk(['get', 'mesh']).trimEnd().replace(/^/gm, '    '));
  step(`Containers of the injected pod ${APP_NAMESPACE}/${pod}`);
  const containers = kubectlOk([
    '-n', APP_NAMESPACE, 'get', 'pod', pod, '-o',
    'jsonpath={range .spec.initContainers[*]}init      {.name}{"\\t"}{.image}{"\\t"}restartPolicy={.restartPolicy}{"\\n"}{end}{range .spec.containers[*]}container {.name}{"\\t"}{.image}{"\\n"}{end}',
  ]);
  console.log(containers.trimEnd().replace(/^/gm, '    '));
  step('What exists');
  console.log(kubectlOk(['get', 'deployments,daemonsets,services', '-A', '-l', `${GROUP}/installation=${name}`]).trimEnd().replace(/^/gm, '    '));
  console.log(`\n${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s. Explore with:`);
  console.log(`    export KUBECONFIG=${kubeconfigPath()}`);
  console.log(`    ${kubectlBinary()} describe mesh default`);
  console.log('Stop everything with: make demo-down');
}

async function down(): Promise<void> {
  const pid = operatorRunning();
  if (pid) {
    process.kill(pid, 'SIGTERM');
    await waitFor(() => operatorRunning() === undefined, { timeoutMs: 15_000, description: `operator pid ${pid} to exit` });
    console.log(`Stopped the operator (pid ${pid})`);
  }
  rmSync(DEMO_DIR, { recursive: true, force: true });
}

const command = process.argv[2];
(command === 'down' ? down() : up()).catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
