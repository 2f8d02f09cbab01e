// `meshloom version [--catalogue]`: meshloom's own version and, on request, the Istio versions it can install.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { catalogueEntry, DEFAULT_HUB, imageRef, ISTIO_IMAGES, supportedVersions } from '../../api/catalogue.js';

const USAGE = `Usage: meshloom version [--catalogue]

Prints meshloom's version; --catalogue adds the supported Istio versions, their images and injection behaviour.
`;

/** meshloom's package.json, found upwards from this file (the same code runs from source and from dist/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'meshloom' && pkg.version) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

export function catalogueText(): string {
  const lines = [`Istio versions (default hub ${DEFAULT_HUB}; spec.hub replaces it):`];
  for (const version of supportedVersions()) {
    const entry = catalogueEntry(version);
    lines.push(`  ${version}`, '    images:');
    for (const image of ISTIO_IMAGES) lines.push(`      ${image.padEnd(12)} ${imageRef(entry, image)}`);
    lines.push('    injection:');
    for (const [key, value] of Object.entries(entry.injection)) lines.push(`      ${key}: ${String(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  let catalogue: boolean | undefined;
  try {
    ({
      values: { catalogue },
    } = parseArgs({ args: argv, options: { catalogue: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`meshloom version: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  process.stdout.write(`meshloom ${packageVersion()}\n`);
  if (catalogue) process.stdout.write(catalogueText());
  return 0;
}
