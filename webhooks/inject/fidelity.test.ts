// Fidelity against Istio 1.30.3's own injection goldens: every case through the CLI path (injectManifests)
// and every webhook-checked case through injectPod + createJsonPatch + applying the patch, compared after
// removing only the serialisation differences CASES.md lists (see TOLERATED_DIFFERENCES).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultInjectionConfig } from './config.js';
import { injectPod } from './inject.js';
import { injectManifests } from './manifests.js';
import { createJsonPatch } from './patch.js';
import { applyJsonPatch } from './testing/json-patch.js';
import {
  loadCases,
  normaliseSerialisation,
  objectToPods,
  readCaseFile,
  TOLERATED_DIFFERENCES,
  withoutStatusAnnotation,
  yamlDocuments,
} from './testing/istio-cases.js';

const cases = loadCases();

const cli = suite('istio 1.30.3 goldens: kube-inject path');

cli('the case table lists all 38 cases, two of them errors, 35 webhook-checked', () => {
  assert.is(cases.length, 38);
  assert.is(cases.filter((c) => c.expectedError).length, 2);
  assert.is(cases.filter((c) => c.webhookChecked).length, 35);
  assert.is(TOLERATED_DIFFERENCES.length, 6);
});

for (const testCase of cases) {
  cli(`${testCase.input}`, () => {
    const input = readCaseFile(testCase.input);
    if (testCase.expectedError) {
      assert.throws(
        () => injectManifests(input, defaultInjectionConfig()),
        (err: Error) => err.message.toLowerCase().includes(testCase.expectedError!),
      );
      return;
    }
    const { output } = injectManifests(input, defaultInjectionConfig());
    const actual = yamlDocuments(output).map((doc) => normaliseSerialisation(doc));
    const expected = yamlDocuments(readCaseFile(testCase.golden!)).map((doc) => normaliseSerialisation(doc));
    assert.equal(actual, expected);
  });
}

cli.run();

// Stricter than the tolerated comparison: Go's serialiser is reproduced, so the text is identical.
const bytes = suite('istio 1.30.3 goldens: byte-identical kube-inject output');

for (const testCase of cases.filter((c) => c.golden)) {
  bytes(`${testCase.input}`, () => {
    const { output } = injectManifests(readCaseFile(testCase.input), defaultInjectionConfig());
    assert.fixture(output, readCaseFile(testCase.golden!));
  });
}

bytes.run();

const webhook = suite('istio 1.30.3 goldens: webhook path (injectPod + JSON patch)');

const webhookConfig = { ...defaultInjectionConfig(), revision: 'default' };

for (const testCase of cases.filter((c) => c.webhookChecked)) {
  webhook(`${testCase.input}`, () => {
    const inputPods = yamlDocuments(readCaseFile(testCase.input)).flatMap(objectToPods);
    const goldenPods = yamlDocuments(readCaseFile(testCase.golden!)).flatMap(objectToPods);
    assert.ok(inputPods.length > 0, 'the case has at least one pod');
    assert.is(inputPods.length, goldenPods.length);
    inputPods.forEach((pod, index) => {
      const result = injectPod(pod, pod.metadata?.namespace || 'default', webhookConfig);
      const patched = applyJsonPatch(pod, createJsonPatch(pod, result.pod));
      assert.equal(
        normaliseSerialisation(withoutStatusAnnotation(patched)),
        normaliseSerialisation(withoutStatusAnnotation(goldenPods[index]!)),
      );
    });
  });
}

webhook.run();
