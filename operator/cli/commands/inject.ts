// `meshloom inject -f deploy.yaml`: adds istio-proxy to the workloads in a manifest, offline, with the same
// engine as the webhook; like `istioctl kube-inject`. Injected YAML goes to stdout, warnings to stderr.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultInjectionConfig, injectionConfigForMesh, injectManifests, type InjectionConfig } from '../../../webhooks/inject/index.js';

const USAGE = `Usage: meshloom inject -f FILE [--mesh FILE] [--hub HUB] [--tag TAG] [--native-sidecars true|false] [--revision REV]

Injects the istio-proxy sidecar into the workloads in FILE ("-" reads stdin) and prints the result.
  --mesh FILE                 inject for the MeshInstallation in FILE (version, namespace, trust domain,
                              drain duration, native sidecars); without it, Istio's default settings
  --hub HUB                   image registry and repository of the proxy image
  --tag TAG                   tag of the proxy image
  --native-sidecars BOOL      run istio-proxy as a native sidecar (true) or a classic container (false)
  --revision REV              control-plane revision to inject for
`;

/** An input file could not be read; the message names it. */
export class InjectInputError extends Error {
  override readonly name = 'InjectInputError';
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      filename: { type: 'string', short: 'f' },
      mesh: { type: 'string' },
      hub: { type: 'string' },
      tag: { type: 'string' },
      'native-sidecars': { type: 'string' },
      revision: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

type Options = ReturnType<typeof parseOptions>;

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new InjectInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function configFor(options: Options): Promise<InjectionConfig> {
  let config = defaultInjectionConfig();
  if (options.mesh !== undefined) {
    // Loaded only with --mesh: the MeshInstallation reader lives with `meshloom render` and pulls in cdk8s.
    const { parseMeshInstallation } = await import('./render.js');
    config = injectionConfigForMesh(parseMeshInstallation(readInput(options.mesh), options.mesh).spec);
  }
  if (options.hub !== undefined) config.hub = options.hub;
  if (options.tag !== undefined) config.tag = options.tag;
  if (options.revision !== undefined) config.revision = options.revision;
  const native = options['native-sidecars'];
  if (native !== undefined) config.nativeSidecars = native === 'true';
  return config;
}

export async function run(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`meshloom inject: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.filename === undefined) {
    process.stderr.write(`meshloom inject: -f FILE is required\n\n${USAGE}`);
    return 2;
  }
  const native = options['native-sidecars'];
  if (native !== undefined && native !== 'true' && native !== 'false') {
    process.stderr.write(`meshloom inject: --native-sidecars must be true or false, not ${JSON.stringify(native)}\n`);
    return 2;
  }
  try {
    const config = await configFor(options);
    const { output, warnings } = injectManifests(readInput(options.filename), config);
    for (const warning of warnings) process.stderr.write(`${warning}\n`);
    process.stdout.write(output);
    return 0;
  } catch (err) {
    // Every error the engine raises names what to fix; a stack trace would only hide it.
    process.stderr.write(`meshloom inject: ${(err as Error).message}\n`);
    return 1;
  }
}
