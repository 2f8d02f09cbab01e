import * as k8s from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containsDesired } from './drift.js';
import { wireForm, type KubeObject } from './kube.js';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'things.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Thing', plural: 'things' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

test('a client-node model (listed or fetched object) compares on its wire form', () => {
  const listItem = k8s.loadYaml<KubeObject>(JSON.stringify(crd));
  delete listItem.apiVersion; // list items carry no apiVersion/kind
  delete listItem.kind;
  assert.not.ok(containsDesired(listItem, crd), 'the model renames x-kubernetes-preserve-unknown-fields');
  assert.ok(containsDesired(wireForm(listItem as KubeObject, crd.apiVersion, crd.kind), crd));
});

test('plain JSON (watched objects) is returned as it is', () => {
  const plain = structuredClone(crd) as KubeObject;
  assert.is(wireForm(plain, crd.apiVersion, crd.kind), plain);
});

test.run();
