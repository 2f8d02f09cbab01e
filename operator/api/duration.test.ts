import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { durationSeconds, goDurationNanos, InvalidDurationError } from './duration.js';

test('reads single and compound Go durations', () => {
  assert.is(durationSeconds('600s'), 600);
  assert.is(durationSeconds('1m30s'), 90);
  assert.is(durationSeconds('1.5h'), 5400);
  assert.is(durationSeconds('250ms'), 0.25);
});

test('rejects what is not a duration', () => {
  for (const bad of ['', '5', '5 s', 's', '-5s', '5d']) {
    assert.throws(() => durationSeconds(bad), (err: unknown) => err instanceof InvalidDurationError, bad);
  }
});

test('Go durations are exact in nanoseconds, with sign, fractions and every unit', () => {
  assert.is(goDurationNanos('1.5s'), 1_500_000_000n);
  assert.is(goDurationNanos('-2m'), -120_000_000_000n);
  assert.is(goDurationNanos('.5ms'), 500_000n);
  assert.is(goDurationNanos('1h2m3s4ms5us6ns'), 3_723_004_005_006n);
  assert.is(goDurationNanos('0'), 0n);
  assert.is(durationSeconds('0'), 0);
});

test.run();
