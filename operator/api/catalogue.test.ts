import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { catalogueEntry, imageRef, revisionName, supportedVersions, UnsupportedVersionError } from './catalogue.js';

test('the catalogue holds Istio 1.30.3 and one 1.29 patch release', () => {
  const versions = supportedVersions();
  assert.ok(versions.includes('1.30.3'));
  assert.is(versions.filter((v) => v.startsWith('1.29.')).length, 1);
});

test('an unknown version raises UnsupportedVersionError naming the supported ones', () => {
  try {
    catalogueEntry('1.31.0');
    assert.unreachable('1.31.0 is not in the catalogue');
  } catch (err) {
    assert.instance(err, UnsupportedVersionError);
    for (const version of supportedVersions()) assert.match((err as Error).message, version);
    assert.match((err as Error).message, 'spec.version');
  }
});

test('image references use the release tag and the hub, default or overridden', () => {
  const entry = catalogueEntry('1.30.3');
  assert.is(imageRef(entry, 'pilot'), 'docker.io/istio/pilot:1.30.3');
  assert.is(imageRef(entry, 'ztunnel', 'mirror.example.com/istio/'), 'mirror.example.com/istio/ztunnel:1.30.3');
});

test('revision names replace dots with dashes', () => {
  assert.is(revisionName('1.30.3'), '1-30-3');
  assert.is(revisionName('1.29.8'), '1-29-8');
});

test.run();
