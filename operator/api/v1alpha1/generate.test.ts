import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crdSchema, generateTypes, TYPES_PATH } from './generate.js';

test('types.gen.ts is up to date with crds/meshinstallation.yaml (run `npm run generate`)', async () => {
  assert.is(readFileSync(TYPES_PATH, 'utf8'), await generateTypes());
});

test('the generator reflects a change in the CRD schema', async () => {
  const schema = crdSchema();
  const spec = schema.properties!.spec;
  spec.properties = { ...spec.properties, paused: { type: 'boolean', description: 'Stop reconciling.' } };
  assert.match(await generateTypes(schema), /paused\?: boolean;/);
});

test.run();
