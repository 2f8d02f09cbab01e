import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { supportedVersions } from '../api/catalogue.js';
import { checkVersionPolicy } from './version-policy.js';

// A wider catalogue than the real one, so every skew rule has versions to trip over.
const SUPPORTED = ['2.0.0', '1.31.0', '1.30.3', '1.29.8', '1.28.4', '1.27.9'];
const check = (version: string, running: string[], strategy: 'InPlace' | 'RevisionBased' = 'InPlace') =>
  checkVersionPolicy({ version, strategy, running, supported: SUPPORTED });

test('a version outside the catalogue is refused with the supported list, against the real catalogue too', () => {
  const refusal = checkVersionPolicy({ version: '1.31.0', strategy: 'InPlace', running: ['1.30.3'] });
  assert.is(refusal?.rule, 'VersionNotInCatalogue');
  for (const version of supportedVersions()) assert.match(refusal!.message, version);
  assert.is(checkVersionPolicy({ version: supportedVersions()[0]!, strategy: 'InPlace', running: [] }), undefined);
});

test('a first install only needs a catalogue version', () => {
  assert.is(check('1.27.9', []), undefined);
});

test('in place: one minor up is accepted, two are refused, with the way out', () => {
  assert.is(check('1.30.3', ['1.29.8']), undefined);
  const refusal = check('1.31.0', ['1.29.8']);
  assert.is(refusal?.rule, 'UpgradeSkewTooLarge');
  assert.match(refusal!.message, 'RevisionBased');
});

test('revision-based: two minors up are accepted, three are refused', () => {
  assert.is(check('1.31.0', ['1.29.8'], 'RevisionBased'), undefined);
  assert.is(check('1.31.0', ['1.28.4'], 'RevisionBased')?.rule, 'UpgradeSkewTooLarge');
});

test('downgrades: one minor is accepted, two are refused whatever the strategy', () => {
  assert.is(check('1.29.8', ['1.30.3']), undefined);
  assert.is(check('1.28.4', ['1.30.3'])?.rule, 'DowngradeTooFar');
  assert.is(check('1.28.4', ['1.30.3'], 'RevisionBased')?.rule, 'DowngradeTooFar');
});

test('every running version counts: an old revision still in use limits the next jump', () => {
  // 1.30 is active, but pods still run 1.29: going to 1.31 in place would leave them two minors behind.
  assert.is(check('1.31.0', ['1.30.3', '1.29.8'])?.rule, 'UpgradeSkewTooLarge');
  assert.is(check('1.31.0', ['1.30.3'])?.rule, undefined);
});

test('a change of major version is refused both ways', () => {
  assert.is(check('2.0.0', ['1.31.0'], 'RevisionBased')?.rule, 'UpgradeSkewTooLarge');
  assert.is(check('1.31.0', ['2.0.0'])?.rule, 'DowngradeTooFar');
});

test('patch changes within a minor are always fine', () => {
  assert.is(check('1.30.3', ['1.30.3']), undefined);
});

test.run();
