// The kind target (E2E_TARGET=kind, laptops with Docker): creates the cluster from
// kind-config.yaml, builds the operator image, loads it into the nodes and deploys
// dist/install.yaml with that image. The local target needs none of this: `make cluster-up`.
//
//   node --import tsx e2e/harness/target.ts up     # then: E2E_TARGET=kind npm run test:e2e
//   node --import tsx e2e/harness/target.ts down
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT, kubeconfigPath } from './cluster.js';

export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly status: number | null,
    hint: string,
  ) {
    super(`\`${command}\` failed (exit ${status ?? 'signal'}); ${hint}`);
    this.name = 'CommandFailedError';
  }
}

interface RunOptions {
  input?: string;
  /** Return stdout instead of passing it through (for short outputs only). */
  capture?: boolean;
  hint?: string;
}

/** Runs a command in the repository root; stderr always, stdout unless captured, go to the terminal. */
function run(command: string, args: string[], { input, capture = false, hint = 'see its output above' }: RunOptions = {}): string {
  const result = spawnSync(command, args, {
    cwd: REPO_ROOT,
    input,
    encoding: 'utf8',
    stdio: [input === undefined ? 'inherit' : 'pipe', capture ? 'pipe' : 'inherit', 'inherit'],
  });
  const rendered = [command, ...args].join(' ');
  if (result.error) throw new CommandFailedError(rendered, null, `is ${command} installed and on PATH? ${hint}`);
  if (result.status !== 0) throw new CommandFailedError(rendered, result.status, hint);
  return result.stdout ?? '';
}

const KIND_CONFIG = join(REPO_ROOT, 'kind-config.yaml');
const INSTALL_BUNDLE = join(REPO_ROOT, 'dist', 'install.yaml');

/** The cluster name is the one in kind-config.yaml, so the two cannot disagree. */
export function kindClusterName(): string {
  return (parse(readFileSync(KIND_CONFIG, 'utf8')) as { name: string }).name;
}

/** `meshloom:e2e-<commit>`: a fixed tag, so kind never tries to pull it (it would for :latest). */
export function operatorImage(): string {
  const commit = run('git', ['rev-parse', '--short=12', 'HEAD'], { capture: true }).trim();
  return `meshloom:e2e-${commit}`;
}

interface Container {
  image?: string;
  imagePullPolicy?: string;
}

/** The parts of a bundle object this file reads; Deployments carry the rest. */
interface BundleObject {
  kind?: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
}

/** True for images of the meshloom repository, whatever the registry or tag. */
function isOperatorImage(image: string): boolean {
  const repository = image.split('@')[0].replace(/:[^/:]*$/, '');
  return repository.split('/').at(-1) === 'meshloom';
}

/**
 * The install bundle with every meshloom container pointed at the freshly loaded image, pull
 * policy IfNotPresent (the image exists only inside the kind nodes).
 */
export function bundleWithImage(bundleYaml: string, image: string): { yaml: string; deployments: string[] } {
  const deployments: string[] = [];
  const documents = parseAllDocuments(bundleYaml).map((document) => document.toJS() as BundleObject | null);
  for (const object of documents) {
    if (object?.kind !== 'Deployment') continue;
    deployments.push(`${object.metadata.namespace ?? 'default'}/${object.metadata.name}`);
    const podSpec = object.spec?.template?.spec ?? {};
    const containers = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])];
    for (const container of containers) {
      if (container.image && isOperatorImage(container.image)) {
        container.image = image;
        container.imagePullPolicy = 'IfNotPresent';
      }
    }
  }
  const yaml = documents
    .filter((object) => object !== null)
    .map((object) => stringify(object))
    .join('---\n');
  return { yaml, deployments };
}

export function upKind(): void {
  const name = kindClusterName();
  const kubeconfig = kubeconfigPath('kind');
  mkdirSync(dirname(kubeconfig), { recursive: true });
  const existing = run('kind', ['get', 'clusters'], { capture: true, hint: 'install kind v0.32.0 and start Docker' }).split('\n');
  if (existing.includes(name)) {
    run('kind', ['export', 'kubeconfig', '--name', name, '--kubeconfig', kubeconfig]);
  } else {
    run('kind', ['create', 'cluster', '--config', KIND_CONFIG, '--kubeconfig', kubeconfig, '--wait', '180s']);
  }
  const image = operatorImage();
  run('docker', ['build', '-t', image, '.'], { hint: 'the Dockerfile at the repository root must build' });
  run('kind', ['load', 'docker-image', image, '--name', name]);
  const bundle = bundleWithImage(readFileSync(INSTALL_BUNDLE, 'utf8'), image);
  run('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', '-'], { input: bundle.yaml });
  for (const deployment of bundle.deployments) {
    const [namespace, deploymentName] = deployment.split('/');
    run('kubectl', ['--kubeconfig', kubeconfig, 'rollout', 'status', `deployment/${deploymentName}`, '-n', namespace, '--timeout=180s'], {
      hint: `the operator did not become available; inspect it with kubectl --kubeconfig ${kubeconfig} describe deployment ${deploymentName} -n ${namespace}`,
    });
  }
}

export function downKind(): void {
  run('kind', ['delete', 'cluster', '--name', kindClusterName()]);
  rmSync(kubeconfigPath('kind'), { force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const action = process.argv[2];
  if (action === 'up') upKind();
  else if (action === 'down') downKind();
  else {
    console.error('usage: node --import tsx e2e/harness/target.ts up|down');
    process.exit(2);
  }
}
