// One readable YAML snapshot per profile, rendered from examples/mesh-<profile>.yaml.
// After an intended rendering change, review the diff and refresh with:
//   UPDATE_SNAPSHOTS=1 node --import tsx node_modules/uvu/bin.js cdk8s 'snapshots\.test\.ts$'
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { PROFILES } from '../operator/api/profiles.js';
import { parseMeshInstallation } from '../operator/cli/commands/render.js';
import { renderedObjects, renderMeshInstallation } from './render.js';

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

function snapshot(profile: string): string {
  const file = `examples/mesh-${profile}.yaml`;
  const mi = parseMeshInstallation(readFileSync(root(file), 'utf8'), file);
  // A fixed uid shows the ownerReferences the reconciler's renders carry.
  mi.metadata = { ...mi.metadata, uid: '00000000-0000-0000-0000-000000000000' };
  const objects = renderedObjects(
    renderMeshInstallation(mi, {
      operatorNamespace: 'meshloom-system',
      injector: { clientConfig: { service: { name: 'meshloom-webhook', namespace: 'meshloom-system', port: 443 } }, failurePolicy: 'Fail' },
    }),
  );
  const header = `# Rendered from ${file}. Regenerate: UPDATE_SNAPSHOTS=1 (see cdk8s/snapshots.test.ts).\n`;
  return header + objects.map((object) => `---\n${stringify(object)}`).join('');
}

for (const profile of PROFILES) {
  test(`the ${profile} profile renders as in __snapshots__/${profile}.yaml`, () => {
    const path = root(`cdk8s/__snapshots__/${profile}.yaml`);
    const actual = snapshot(profile);
    if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(path, actual);
    assert.ok(existsSync(path), `missing snapshot ${path}; run with UPDATE_SNAPSHOTS=1`);
    assert.fixture(actual, readFileSync(path, 'utf8'));
  });
}

test.run();
