// `meshloom render -f mesh.yaml`: prints, offline, the exact manifests the operator would apply for a
// MeshInstallation, as multi-document YAML in apply order.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { API_VERSION, KIND } from '../../api/names.js';
import type { MeshInstallation } from '../../api/v1alpha1/index.js';
import { renderedObjects, renderMeshInstallation, type RenderEnvironment } from '../../../cdk8s/render.js';

const USAGE = `Usage: meshloom render -f FILE [--webhook-url URL] [--operator-namespace NS] [--failure-policy Fail|Ignore]

Prints the manifests the operator would apply for the MeshInstallation in FILE ("-" reads stdin).
  --webhook-url URL          where the API server reaches the injection webhook (default: the operator's Service)
  --operator-namespace NS    namespace the operator runs in (default: meshloom-system)
  --failure-policy POLICY    failurePolicy of the injection webhook (default: Fail)
`;

export class RenderInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderInputError';
  }
}

function readManifest(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new RenderInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The one MeshInstallation in the file; other kinds of documents are an error, not silently skipped. */
export function parseMeshInstallation(text: string, file: string): MeshInstallation {
  const documents = parseAllDocuments(text).filter((doc) => doc.contents !== null);
  if (documents.length !== 1) {
    throw new RenderInputError(`${file} must contain exactly one MeshInstallation, found ${documents.length} documents`);
  }
  const [document] = documents;
  if (document.errors.length > 0) throw new RenderInputError(`${file} is not valid YAML: ${document.errors[0].message}`);
  const object = document.toJS() as Partial<MeshInstallation> | null;
  if (object?.apiVersion !== API_VERSION || object.kind !== KIND) {
    throw new RenderInputError(`${file} must hold a ${KIND} of apiVersion ${API_VERSION}`);
  }
  if (typeof object.spec?.version !== 'string') throw new RenderInputError(`${file}: spec.version is required`);
  return object as MeshInstallation;
}

export async function run(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseOptions>['values'];
  try {
    ({ values } = parseOptions(argv));
  } catch (err) {
    process.stderr.write(`meshloom render: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.filename) {
    process.stderr.write(`meshloom render: -f FILE is required\n\n${USAGE}`);
    return 2;
  }
  const failurePolicy = values['failure-policy'];
  if (failurePolicy !== 'Fail' && failurePolicy !== 'Ignore') {
    process.stderr.write(`meshloom render: --failure-policy must be Fail or Ignore, not "${failurePolicy}"\n`);
    return 2;
  }
  const operatorNamespace = values['operator-namespace'];
  const env: RenderEnvironment = {
    operatorNamespace,
    injector: {
      clientConfig: values['webhook-url']
        ? { url: values['webhook-url'] }
        : { service: { name: 'meshloom-webhook', namespace: operatorNamespace, port: 443 } },
      failurePolicy,
    },
  };
  try {
    const mi = parseMeshInstallation(readManifest(values.filename), values.filename);
    const objects = renderedObjects(renderMeshInstallation(mi, env));
    process.stdout.write(objects.map((object) => `---\n${stringify(object)}`).join(''));
    return 0;
  } catch (err) {
    // Every error render raises carries what to fix; a stack trace would only hide it.
    process.stderr.write(`meshloom render: ${(err as Error).message}\n`);
    return 1;
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      filename: { type: 'string', short: 'f' },
      'webhook-url': { type: 'string' },
      'operator-namespace': { type: 'string', default: 'meshloom-system' },
      'failure-policy': { type: 'string', default: 'Fail' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}
