// The admission server over real HTTPS on 127.0.0.1, with certificates from the SelfSigned generator.
import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:https';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AdmissionReviewResponse, InjectionSettings } from './admission.js';
import { createCertificateAuthority, issueServingCertificate } from './certificates/authority.js';
import type { KeyPair } from './certificates/pem.js';
import { webhookSubjectAltNames } from './certificates/self-signed.js';
import { defaultInjectionConfig, type Pod } from './inject/index.js';
import { CertificateReloadError, WebhookServer } from './server.js';

const logger = pino({ level: 'silent' });
const names = webhookSubjectAltNames('meshloom-webhook', 'meshloom-system');
const validity = { now: new Date(), days: 30 };

interface Context {
  authority: KeyPair;
  otherAuthority: KeyPair;
  server: WebhookServer;
  registry: Registry;
  port: number;
  agent: Agent;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peer: PeerCertificate;
}

function send(ctx: Context, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ctx.port, method, path, agent: ctx.agent, headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        // Read now: at 'end' a keep-alive socket is already back in the agent's pool.
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peer }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function pod(overrides: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hello', namespace: 'shop', labels: { app: 'hello' } },
    spec: { containers: [{ name: 'hello', image: 'hello:1' }], ...overrides },
  };
}

function review(object: Pod, uid = 'b2c0a7c4-0000-4000-8000-000000000001') {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'shop',
      object,
    },
  };
}

const settings: InjectionSettings = { config: defaultInjectionConfig(), drain: { policy: 'Adjust' } };
const resolve = (installation: string, revision: string) =>
  installation === 'default' && revision === 'default' ? settings : undefined;

const server = suite<Context>('server', {} as Context);

server.before(async (ctx) => {
  ctx.authority = await createCertificateAuthority('server-test-ca', validity);
  ctx.otherAuthority = await createCertificateAuthority('server-test-ca-2', validity);
  ctx.registry = new Registry();
  ctx.server = new WebhookServer({
    tls: await issueServingCertificate(ctx.authority, names, validity),
    resolveSettings: resolve,
    registry: ctx.registry,
    logger,
    maxBodyBytes: 64 * 1024,
  });
  ctx.port = (await ctx.server.listen(0, '127.0.0.1')).port;
  // The API server's view: it trusts the caBundle, which holds both CAs around a rotation.
  ctx.agent = new Agent({ keepAlive: true, maxSockets: 4, ca: [ctx.authority.cert, ctx.otherAuthority.cert] });
});

server.after(async (ctx) => {
  ctx.agent.destroy();
  await ctx.server.close();
});

server('GET /healthz answers ok', async (ctx) => {
  const reply = await send(ctx, 'GET', '/healthz');
  assert.is(reply.status, 200);
  assert.is(reply.body, 'ok\n');
});

server('injects a pod: allowed, base64 JSONPatch adding istio-proxy, uid echoed', async (ctx) => {
  const reply = await send(ctx, 'POST', '/inject/default/default?timeout=10s', JSON.stringify(review(pod())));
  assert.is(reply.status, 200);
  const answer = JSON.parse(reply.body) as AdmissionReviewResponse;
  assert.is(answer.apiVersion, 'admission.k8s.io/v1');
  assert.is(answer.kind, 'AdmissionReview');
  assert.is(answer.response.uid, 'b2c0a7c4-0000-4000-8000-000000000001');
  assert.is(answer.response.allowed, true);
  assert.is(answer.response.patchType, 'JSONPatch');
  const patch = JSON.parse(Buffer.from(answer.response.patch!, 'base64').toString('utf8')) as Array<{ value?: unknown }>;
  assert.ok(JSON.stringify(patch).includes('"istio-proxy"'));
});

server('skips a hostNetwork pod: allowed without a patch', async (ctx) => {
  const reply = await send(ctx, 'POST', '/inject/default/default', JSON.stringify(review(pod({ hostNetwork: true }))));
  const answer = JSON.parse(reply.body) as AdmissionReviewResponse;
  assert.is(answer.response.allowed, true);
  assert.is(answer.response.patch, undefined);
});

server('unknown installation or revision: allowed with a warning naming it', async (ctx) => {
  const reply = await send(ctx, 'POST', '/inject/default/canary', JSON.stringify(review(pod())));
  assert.is(reply.status, 200);
  const answer = JSON.parse(reply.body) as AdmissionReviewResponse;
  assert.is(answer.response.allowed, true);
  assert.is(answer.response.patch, undefined);
  assert.match(answer.response.warnings?.[0] ?? '', 'revision "canary"');
});

server('a body that is not JSON content is 415', async (ctx) => {
  const reply = await send(ctx, 'POST', '/inject/default/default', 'uid=1', { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.is(reply.status, 415);
  assert.match(reply.body, 'application/json');
  const charset = await send(ctx, 'POST', '/inject/default/default', JSON.stringify(review(pod())), {
    'Content-Type': 'application/json; charset=utf-8',
  });
  assert.is(charset.status, 200, 'media type parameters are allowed');
});

server('malformed JSON, an empty body and a non-review are 400 with a clear message', async (ctx) => {
  const broken = await send(ctx, 'POST', '/inject/default/default', '{"apiVersion": ');
  assert.is(broken.status, 400);
  assert.match(broken.body, 'not valid JSON');
  const empty = await send(ctx, 'POST', '/inject/default/default', '');
  assert.is(empty.status, 400);
  assert.match(empty.body, 'empty body');
  const v1beta1 = await send(ctx, 'POST', '/inject/default/default', JSON.stringify({ ...review(pod()), apiVersion: 'admission.k8s.io/v1beta1' }));
  assert.is(v1beta1.status, 400);
  assert.match(v1beta1.body, 'apiVersion is "admission.k8s.io/v1beta1"');
  const noUid = review(pod());
  noUid.request.uid = '';
  const missingUid = await send(ctx, 'POST', '/inject/default/default', JSON.stringify(noUid));
  assert.is(missingUid.status, 400);
  assert.match(missingUid.body, 'request.uid');
  const deployment = review(pod());
  deployment.request.kind = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const notPod = await send(ctx, 'POST', '/inject/default/default', JSON.stringify(deployment));
  assert.is(notPod.status, 400);
  assert.match(notPod.body, 'request.kind');
});

server('a body over the limit is 413, with or without Content-Length', async (ctx) => {
  const large = Buffer.alloc(65 * 1024, 'a');
  const declared = await send(ctx, 'POST', '/inject/default/default', large);
  assert.is(declared.status, 413);
  assert.is(declared.headers.connection, 'close');
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ctx.port, method: 'POST', path: '/inject/default/default', agent: ctx.agent, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    // Two writes without a length: the server only learns the size while reading.
    req.write(large.subarray(0, 40 * 1024));
    req.end(large.subarray(40 * 1024));
  });
  assert.is(chunked, 413);
  // The server survived both and still answers.
  assert.is((await send(ctx, 'GET', '/healthz')).status, 200);
});

server('unknown routes are 404, wrong methods 405', async (ctx) => {
  assert.is((await send(ctx, 'POST', '/inject', JSON.stringify(review(pod())))).status, 404);
  assert.is((await send(ctx, 'POST', '/inject/default/default/extra', '{}')).status, 404);
  assert.is((await send(ctx, 'GET', '/metrics')).status, 404);
  const get = await send(ctx, 'GET', '/inject/default/default');
  assert.is(get.status, 405);
  assert.is(get.headers.allow, 'POST');
});

/** A TLS handshake with the given version range; resolves with the negotiated protocol or the error code. */
function handshake(ctx: Context, minVersion: 'TLSv1' | 'TLSv1.2', maxVersion: 'TLSv1.1' | 'TLSv1.2'): Promise<string> {
  return new Promise((resolve) => {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so a failure is the server's refusal.
    const socket = connect({ host: '127.0.0.1', port: ctx.port, minVersion, maxVersion, ca: ctx.authority.cert, servername: 'localhost', ciphers: 'DEFAULT@SECLEVEL=0' });
    socket.once('secureConnect', () => {
      resolve(socket.getProtocol() ?? 'unknown');
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

server('TLS 1.1 is refused by the server; the same client on TLS 1.2 connects', async (ctx) => {
  const refused = await handshake(ctx, 'TLSv1', 'TLSv1.1');
  assert.match(refused, /ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
  assert.is(await handshake(ctx, 'TLSv1.2', 'TLSv1.2'), 'TLSv1.2');
});

server('reload swaps the certificate under keep-alive traffic without failing a request', async (ctx) => {
  const before = await send(ctx, 'GET', '/healthz');
  const rotated = await issueServingCertificate(ctx.otherAuthority, names, validity);
  const statuses: number[] = [];
  const errors: unknown[] = [];
  let reloaded = false;
  const client = async () => {
    for (let i = 0; i < 40; i++) {
      if (i === 10 && !reloaded) {
        reloaded = true;
        ctx.server.reload(rotated);
      }
      // New connections mid-stream too: the pool is capped and some sockets are retired on purpose.
      const reply = await send(ctx, 'POST', '/inject/default/default', JSON.stringify(review(pod())), i % 7 === 0 ? { Connection: 'close' } : {}).catch(
        (error: unknown) => void errors.push(error),
      );
      if (reply) statuses.push(reply.status);
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  assert.equal(errors, []);
  assert.is(statuses.length, 160);
  assert.ok(statuses.every((status) => status === 200));

  // Fresh connections now see the new certificate.
  ctx.agent.destroy();
  ctx.agent = new Agent({ keepAlive: true, maxSockets: 4, ca: [ctx.authority.cert, ctx.otherAuthority.cert] });
  const after = await send(ctx, 'GET', '/healthz');
  assert.is.not(after.peer.serialNumber, before.peer.serialNumber);
  assert.is(after.peer.serialNumber, new X509Certificate(rotated.cert).serialNumber);
});

server('reload with a key that does not match keeps the current certificate', async (ctx) => {
  const current = await send(ctx, 'GET', '/healthz');
  const a = await issueServingCertificate(ctx.authority, names, validity);
  const b = await issueServingCertificate(ctx.authority, names, validity);
  assert.throws(() => ctx.server.reload({ cert: a.cert, key: b.key }), (error: unknown) => error instanceof CertificateReloadError);
  ctx.agent.destroy();
  ctx.agent = new Agent({ keepAlive: true, ca: [ctx.authority.cert, ctx.otherAuthority.cert] });
  assert.is((await send(ctx, 'GET', '/healthz')).peer.serialNumber, current.peer.serialNumber);
});

server('metrics count requests by status code and decisions by reason, and expose the certificate expiry', async (ctx) => {
  const text = await ctx.registry.metrics();
  assert.match(text, /meshloom_webhook_requests_total\{route="inject",code="415"\} [1-9]/);
  assert.match(text, /meshloom_webhook_requests_total\{route="inject",code="413"\} [1-9]/);
  assert.match(text, /meshloom_webhook_injection_decisions_total\{decision="skipped",reason="unknownRevision"\} 1/);
  assert.match(text, /meshloom_webhook_injection_decisions_total\{decision="skipped",reason="hostNetwork"\} 1/);
  assert.match(text, /meshloom_webhook_request_duration_seconds_bucket\{le="0.005",route="inject"\} [1-9]/);
  const expiry = /meshloom_webhook_certificate_expiry_timestamp_seconds (\d+)/.exec(text);
  assert.ok(expiry && Number(expiry[1]) * 1000 > Date.now());
});

server.run();

const lifecycle = suite('server lifecycle');

lifecycle('close() lets an in-flight request finish, then refuses connections', async () => {
  const authority = await createCertificateAuthority('close-test-ca', validity);
  const instance = new WebhookServer({
    tls: await issueServingCertificate(authority, names, validity),
    resolveSettings: () => undefined,
    registry: new Registry(),
    logger,
  });
  const ctx = { port: (await instance.listen(0, '127.0.0.1')).port, agent: new Agent({ keepAlive: true, ca: authority.cert }) } as Context;
  assert.is((await send(ctx, 'GET', '/healthz')).status, 200); // leaves an idle keep-alive connection
  // A request the server is reading when close() starts: half the body now, the rest after close().
  const body = JSON.stringify(review(pod()));
  let closing: Promise<void> | undefined;
  const inFlight = new Promise<number>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ctx.port, method: 'POST', path: '/inject/x/y', agent: new Agent({ ca: authority.cert }), headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 20));
    setTimeout(() => {
      closing = instance.close();
      req.end(body.slice(20));
    }, 100);
  });
  assert.is(await inFlight, 200);
  await closing;
  await send(ctx, 'GET', '/healthz').then(
    () => assert.unreachable('connected after close'),
    (error: NodeJS.ErrnoException) => assert.is(error.code, 'ECONNREFUSED'),
  );
  ctx.agent.destroy();
});

lifecycle.run();
