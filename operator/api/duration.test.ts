import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { durationSeconds, InvalidDurationError } from './duration.js';

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

test.run();
