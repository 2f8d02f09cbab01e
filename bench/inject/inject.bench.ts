// Latency and throughput of the injection engine alone (injectPod + createJsonPatch, no HTTP), per payload.
// Bounded: each payload runs until its iteration count or its time limit, whichever comes first. ops/s is
// runs divided by the time spent in the two calls (pod construction is outside the measurement).
//   node --import tsx bench/inject/inject.bench.ts [--iterations N] [--seconds S]
import { parseArgs } from 'node:util';
import { createJsonPatch, defaultInjectionConfig, injectPod } from '../../webhooks/inject/index.js';
import { PAYLOADS } from './payloads.js';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '10' } },
});
const iterations = Number(values.iterations);
const limitNs = BigInt(Math.round(Number(values.seconds) * 1e9));
const config = { ...defaultInjectionConfig(), revision: 'default' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function once(build: () => ReturnType<(typeof PAYLOADS)[number]['build']>): number {
  const pod = build();
  const start = process.hrtime.bigint();
  const result = injectPod(pod, 'bench', config);
  createJsonPatch(pod, result.pod);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

console.log(`injectPod + createJsonPatch, ${iterations} iterations or ${values.seconds}s per payload (node ${process.version})`);
console.log(['payload'.padEnd(24), 'runs', 'p50 ms', 'p99 ms', 'max ms', 'ops/s'].join('\t'));
for (const payload of PAYLOADS) {
  for (let i = 0; i < Math.min(200, iterations); i++) once(payload.build); // warm up the JIT
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  while (latencies.length < iterations && process.hrtime.bigint() - started < limitNs) latencies.push(once(payload.build));
  const busyS = latencies.reduce((sum, ms) => sum + ms, 0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    [
      payload.name.padEnd(24),
      latencies.length,
      percentile(sorted, 50).toFixed(3),
      percentile(sorted, 99).toFixed(3),
      sorted[sorted.length - 1]!.toFixed(3),
      Math.round(latencies.length / busyS),
    ].join('\t'),
  );
}
