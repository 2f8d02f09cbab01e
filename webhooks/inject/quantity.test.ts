// Canonical quantities as Go's resource.Quantity writes them (the goldens show "2", "1Gi", "100m").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalQuantity, QuantityFormatError } from './quantity.js';

const test = suite('canonicalQuantity');

test('decimal SI values reduce to the largest exact suffix', () => {
  assert.is(canonicalQuantity('2000m'), '2');
  assert.is(canonicalQuantity('100m'), '100m');
  assert.is(canonicalQuantity('1500m'), '1500m');
  assert.is(canonicalQuantity('0.5'), '500m');
  assert.is(canonicalQuantity('1000'), '1k');
  assert.is(canonicalQuantity('2000000'), '2M');
  assert.is(canonicalQuantity('0'), '0');
  assert.is(canonicalQuantity('1'), '1');
});

test('binary SI values reduce by powers of 1024, and fall back to decimal below 1Ki or when fractional', () => {
  assert.is(canonicalQuantity('1024Mi'), '1Gi');
  assert.is(canonicalQuantity('128Mi'), '128Mi');
  assert.is(canonicalQuantity('1536Mi'), '1536Mi');
  assert.is(canonicalQuantity('1.5Gi'), '1536Mi');
  assert.is(canonicalQuantity('0.5Ki'), '512');
  assert.is(canonicalQuantity('2048Ki'), '2Mi');
});

test('exponent notation keeps an exponent suffix', () => {
  assert.is(canonicalQuantity('1e3'), '1e3');
  assert.is(canonicalQuantity('12e2'), '1200');
});

test('non-quantities are rejected with the API server message', () => {
  for (const bad of ['lots', '', '1Xi', '1.2.3', ' 1']) {
    assert.throws(() => canonicalQuantity(bad), (err: Error) => err instanceof QuantityFormatError);
  }
  assert.throws(() => canonicalQuantity('lots'), /quantities must match the regular expression/);
});

test.run();
