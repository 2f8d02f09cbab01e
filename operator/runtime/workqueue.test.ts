import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkQueue } from './workqueue.js';

test('adds of the same key coalesce into one run', async () => {
  const queue = new WorkQueue({ concurrency: 1 });
  const seen: string[] = [];
  for (let i = 0; i < 100; i++) queue.add('a');
  queue.add('b');
  queue.start(async (key) => {
    seen.push(key);
  });
  await queue.idle();
  assert.equal(seen, ['a', 'b']);
});

test('a key is never processed concurrently; an add while it runs runs it once more afterwards', async () => {
  const queue = new WorkQueue({ concurrency: 4 });
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  queue.start(async () => {
    runs++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep(20);
    running--;
  });
  queue.add('k');
  await sleep(5);
  queue.add('k');
  queue.add('k');
  await sleep(100);
  await queue.idle();
  assert.is(maxRunning, 1);
  assert.is(runs, 2);
});

test('different keys run in parallel up to the concurrency', async () => {
  const queue = new WorkQueue({ concurrency: 2 });
  let running = 0;
  let maxRunning = 0;
  queue.start(async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep(20);
    running--;
  });
  for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
  await sleep(10);
  await queue.idle();
  await sleep(60);
  assert.is(maxRunning, 2);
});

test('a failing key is retried with growing backoff, and success resets it', async () => {
  const errors: number[] = [];
  const queue = new WorkQueue({ concurrency: 1, baseBackoffMs: 10, maxBackoffMs: 40, onError: (_k, _e, retry) => errors.push(retry) });
  let calls = 0;
  queue.start(async () => {
    calls++;
    if (calls <= 4) throw new Error('boom');
  });
  queue.add('x');
  await sleep(250);
  assert.equal(errors, [10, 20, 40, 40]);
  assert.is(calls, 5);
  assert.is(queue.backoffFor(1), 10);
});

test('requeueAfterMs runs the key again after the delay', async () => {
  const queue = new WorkQueue({ concurrency: 1 });
  const at: number[] = [];
  const start = Date.now();
  queue.start(async () => {
    at.push(Date.now() - start);
    return at.length < 2 ? { requeueAfterMs: 50 } : {};
  });
  queue.add('r');
  await sleep(150);
  assert.is(at.length, 2);
  assert.ok(at[1]! >= 45, `second run after ${at[1]} ms`);
});

test('shutdown waits for running work and drops queued and delayed keys', async () => {
  const queue = new WorkQueue({ concurrency: 1 });
  const done: string[] = [];
  queue.start(async (key) => {
    await sleep(30);
    done.push(key);
  });
  queue.add('first');
  queue.add('second');
  queue.addAfter('later', 10);
  await sleep(5);
  await queue.shutdown();
  await sleep(50);
  assert.equal(done, ['first']);
  queue.add('after-shutdown');
  await sleep(40);
  assert.equal(done, ['first']);
});

test.run();
