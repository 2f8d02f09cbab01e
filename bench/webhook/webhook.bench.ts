// Latency and throughput of the injection webhook over HTTPS keep-alive on loopback, for three pod shapes.
// Bounded: each run stops at its request count or its time limit, whichever comes first.
//   node --import tsx bench/webhook/webhook.bench.ts [--requests N] [--seconds S] [--concurrency C]
import { fork } from 'node:child_process';
import { Agent, request } from 'node:https';
import { parseArgs } from 'node:util';
import { createCertificateAuthority, issueServingCertificate } from '../../webhooks/certificates/authority.js';
import { webhookSubjectAltNames } from '../../webhooks/certificates/self-signed.js';
import { PAYLOADS, type Payload } from '../inject/payloads.js';

const { values: options } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1,8' },
  },
});
const MAX_REQUESTS = Number(options.requests);
const MAX_MS = Number(options.seconds) * 1000;
const WARMUP = Number(options.warmup);
const CONCURRENCY = options.concurrency.split(',').map(Number);

function admissionReview(payload: Payload, uid: number): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${uid}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'bench',
      object: payload.build(),
    },
  });
}

function post(agent: Agent, port: number, body: string): Promise<{ status: number; allowed: boolean; patched: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/inject/default/default?timeout=10s', agent, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve({ status: res.statusCode ?? 0, allowed: review.response?.allowed === true, patched: Boolean(review.response?.patch) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Result {
  payload: string;
  bytes: number;
  concurrency: number;
  requests: number;
  failures: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
}

async function measure(port: number, ca: string, payload: Payload, concurrency: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca });
  const body = admissionReview(payload, 0);
  for (let i = 0; i < WARMUP; i++) await post(agent, port, body);

  const latencies: number[] = [];
  let failures = 0;
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (issued < MAX_REQUESTS && performance.now() - started < MAX_MS) {
      issued++;
      const t0 = performance.now();
      const reply = await post(agent, port, body);
      latencies.push(performance.now() - t0);
      if (reply.status !== 200 || !reply.allowed || !reply.patched) failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  return {
    payload: payload.name,
    bytes: Buffer.byteLength(body),
    concurrency,
    requests: latencies.length,
    failures,
    p50: quantile(0.5),
    p99: quantile(0.99),
    max: latencies[latencies.length - 1],
    perSecond: (latencies.length / elapsed) * 1000,
  };
}

const authority = await createCertificateAuthority('bench-ca', { now: new Date(), days: 1 });
const tls = await issueServingCertificate(authority, webhookSubjectAltNames('bench', 'bench'), { now: new Date(), days: 1 });
const child = fork(new URL('./server-process.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
const port = await new Promise<number>((resolve) => {
  child.once('message', (message: { port: number }) => resolve(message.port));
  child.send(tls);
});

const results: Result[] = [];
try {
  for (const payload of PAYLOADS) {
    for (const concurrency of CONCURRENCY) results.push(await measure(port, authority.cert, payload, concurrency));
  }
} finally {
  child.disconnect();
}

const ms = (value: number) => value.toFixed(2);
console.log(`webhook over HTTPS keep-alive, 127.0.0.1, server in its own process; ${MAX_REQUESTS} requests or ${MAX_MS / 1000}s per row`);
console.table(
  results.map((r) => ({
    payload: r.payload,
    'review bytes': r.bytes,
    concurrency: r.concurrency,
    requests: r.requests,
    failures: r.failures,
    'p50 ms': ms(r.p50),
    'p99 ms': ms(r.p99),
    'max ms': ms(r.max),
    'req/s': Math.round(r.perSecond),
  })),
);
if (results.some((r) => r.failures > 0)) process.exitCode = 1;
