// The HTTPS admission server for sidecar injection: TLS 1.2+, HTTP/1.1 keep-alive, bounded bodies, a clear
// 4xx for anything that is not an AdmissionReview v1 for a Pod, and never a crash. The decision itself is the
// pure `admit` in admission.ts; this file parses, routes, measures and logs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  admit,
  MalformedAdmissionReviewError,
  parseAdmissionReview,
  type AdmissionOutcome,
  type AdmissionReviewRequest,
  type InjectionSettings,
  type InjectionTarget,
} from './admission.js';
import { certificateExpiry, type KeyPair } from './certificates/pem.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';

/** The operator's view of its installations: injection settings for a webhook path, if it knows them. */
export type InjectionSettingsResolver = (installation: string, revision: string) => InjectionSettings | undefined;

export interface WebhookServerOptions {
  /** The serving certificate; replace it later with reload(). */
  tls: KeyPair;
  resolveSettings: InjectionSettingsResolver;
  registry: Registry;
  logger: Logger;
  /** Largest accepted request body. The API server sends at most ~3 MiB (2x etcd's object limit). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
const MIN_TLS_VERSION = 'TLSv1.2';
/**
 * Idle keep-alive connections are kept longer than the API server's webhook client keeps them (Go's
 * IdleConnTimeout, 90s), so the client always closes first: a server closing an idle connection while the
 * client reuses it would fail a non-retryable POST.
 */
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
/** Webhook calls time out after at most 30s (timeoutSeconds' maximum); nothing legitimate takes longer. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long close() waits for in-flight requests before cutting their connections. */
const CLOSE_GRACE_MS = 10_000;

/** The serving certificate handed to reload() is not a usable key pair; the previous one stays in use. */
export class CertificateReloadError extends Error {
  override readonly name = 'CertificateReloadError';
  constructor(cause: unknown) {
    super(
      `the new webhook serving certificate was not loaded (${cause instanceof Error ? cause.message : String(cause)}); ` +
        'the server keeps the previous one: check that tls.crt and tls.key are PEM and belong together',
      { cause },
    );
  }
}

/** A request the server refuses before any admission logic runs: the HTTP status and the reason shown. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Route = { name: 'inject'; target: InjectionTarget } | { name: 'healthz' } | { name: 'unknown' };

const INJECT_PATH = /^\/inject\/([^/]+)\/([^/]+)\/?$/;

function route(url: string | undefined): Route {
  // The API server appends `?timeout=10s`; only the path matters.
  const path = (url ?? '/').split('?', 1)[0];
  if (path === '/healthz') return { name: 'healthz' };
  const match = INJECT_PATH.exec(path);
  if (!match) return { name: 'unknown' };
  try {
    return { name: 'inject', target: { installation: decodeURIComponent(match[1]), revision: decodeURIComponent(match[2]) } };
  } catch {
    return { name: 'unknown' };
  }
}

function isJsonContentType(header: string | undefined): boolean {
  return header?.split(';', 1)[0].trim().toLowerCase() === 'application/json';
}

/** The pod named in logs: at CREATE, pods of a controller often only have generateName. */
function podRef(review: AdmissionReviewRequest): { namespace: string | undefined; name: string | undefined } {
  const { request } = review;
  const metadata = request.object.metadata;
  return {
    namespace: metadata?.namespace || request.namespace,
    name: metadata?.name || request.name || metadata?.generateName,
  };
}

export class WebhookServer {
  private readonly server: Server;
  private readonly metrics: WebhookMetrics;
  private readonly logger: Logger;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: WebhookServerOptions) {
    this.logger = options.logger;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.metrics = createWebhookMetrics(options.registry);
    this.server = createServer(
      {
        key: options.tls.key,
        cert: options.tls.cert,
        minVersion: MIN_TLS_VERSION,
        keepAlive: true,
        requestTimeout: REQUEST_TIMEOUT_MS,
        headersTimeout: REQUEST_TIMEOUT_MS,
      },
      (request, response) =>
        void this.handle(request, response).catch((error: unknown) => {
          // Only reachable if answering itself failed (a socket torn down mid-write): drop that connection.
          this.logger.error({ err: error }, 'Failed to answer webhook request');
          response.destroy();
        }),
    );
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    // A TLS handshake failure (an old TLS version, an untrusted client) is the client's problem, not ours.
    this.server.on('tlsClientError', (error) => this.logger.debug({ err: error }, 'Rejected TLS handshake'));
    this.recordExpiry(options.tls);
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.logger.info({ address: address.address, port: address.port }, 'Started admission webhook server');
    return address;
  }

  /**
   * Swaps the serving certificate without a restart: new TLS connections use it, established keep-alive
   * connections finish on the one they negotiated. Throws CertificateReloadError and keeps the old
   * certificate if the new pair is unusable.
   */
  reload(tls: KeyPair): void {
    try {
      this.server.setSecureContext({ key: tls.key, cert: tls.cert, minVersion: MIN_TLS_VERSION });
    } catch (error) {
      throw new CertificateReloadError(error);
    }
    this.recordExpiry(tls);
    this.logger.info({ notAfter: certificateExpiry(tls.cert).toISOString() }, 'Reloaded webhook serving certificate');
  }

  /** Stops accepting connections, lets in-flight requests finish (up to 10s), then closes everything. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = setTimeout(() => this.server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(deadline);
    this.logger.info('Stopped admission webhook server');
  }

  private recordExpiry(tls: KeyPair): void {
    this.metrics.certificateExpiry.set(certificateExpiry(tls.cert).getTime() / 1000);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const stopTimer = this.metrics.latency.startTimer();
    const target = route(request.url);
    response.once('close', () => {
      stopTimer({ route: target.name });
      this.metrics.requests.inc({ route: target.name, code: response.statusCode });
    });
    try {
      switch (target.name) {
        case 'healthz':
          if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'use GET for /healthz');
          return this.send(response, 200, 'text/plain', 'ok\n');
        case 'unknown':
          throw new HttpError(404, 'not found: the injection webhook serves POST /inject/<installation>/<revision>');
        case 'inject':
          if (request.method !== 'POST') throw new HttpError(405, 'use POST for /inject/<installation>/<revision>');
          return this.send(response, 200, 'application/json', JSON.stringify(await this.inject(request, target.target)));
      }
    } catch (error) {
      if (error instanceof HttpError) {
        this.logger.info({ status: error.status, reason: error.message, remote: request.socket.remoteAddress }, 'Refused webhook request');
        // After a 413 the rest of the body is not read, so the connection cannot be reused.
        if (error.status === 413) response.setHeader('Connection', 'close');
        if (error.status === 405) response.setHeader('Allow', target.name === 'inject' ? 'POST' : 'GET, HEAD');
        return this.send(response, error.status, 'text/plain', `${error.message}\n`);
      }
      // Unreachable by design (admit never throws); kept so a bug answers and is logged instead of hanging.
      this.logger.error({ err: error }, 'Failed to handle webhook request');
      return this.send(response, 500, 'text/plain', 'internal error\n');
    }
  }

  /** Reads, validates and answers one injection request (a 4xx HttpError for anything malformed). */
  private async inject(request: IncomingMessage, target: InjectionTarget): Promise<unknown> {
    if (!isJsonContentType(request.headers['content-type'])) {
      throw new HttpError(415, `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json`);
    }
    const body = await this.readBody(request);
    if (body.length === 0) throw new HttpError(400, 'empty body: send an AdmissionReview');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // The parser's message quotes the body, which may hold pod secrets: keep it out of the answer and logs.
      throw new HttpError(400, 'the body is not valid JSON: send an AdmissionReview');
    }
    let review: AdmissionReviewRequest;
    try {
      review = parseAdmissionReview(parsed);
    } catch (error) {
      if (error instanceof MalformedAdmissionReviewError) throw new HttpError(400, error.message);
      throw error;
    }
    const { review: answer, outcome } = admit(review, this.resolve(target), target);
    this.record(review, target, outcome);
    return answer;
  }

  /**
   * Unknown (installation, revision) → settings undefined → `admit` allows the pod with a warning. The webhook
   * configuration and the operator's in-memory view briefly disagree around installs, revision changes and
   * deletion (the configuration is removed first, but the API server caches it). Denying would block every
   * pod in labelled namespaces during that window for a state the user cannot fix; the warning and the
   * `unknownRevision` skip metric make it visible. A resolver that throws is treated the same way.
   */
  private resolve(target: InjectionTarget): InjectionSettings | undefined {
    try {
      return this.options.resolveSettings(target.installation, target.revision);
    } catch (error) {
      this.logger.error({ err: error, ...target }, 'Failed to resolve injection settings');
      return undefined;
    }
  }

  /**
   * Metrics and logs of one decision. An internal error is a denial (allowed: false, code 500 inside an HTTP
   * 200): admitting would let an un-meshed pod into a meshed namespace, and an HTTP 5xx would both hide our
   * message behind the API server's generic "failed calling webhook" and, under failurePolicy Ignore, admit
   * the pod anyway.
   */
  private record(review: AdmissionReviewRequest, target: InjectionTarget, outcome: AdmissionOutcome): void {
    this.metrics.decisions.inc({ decision: outcome.decision, reason: outcome.reason });
    if (outcome.drain) this.metrics.drainEnforcements.inc({ action: outcome.drain });
    const fields = { pod: podRef(review), uid: review.request.uid, ...target, reason: outcome.reason };
    switch (outcome.decision) {
      case 'injected':
        this.logger.info({ ...fields, drain: outcome.drain }, 'Injected sidecar');
        break;
      case 'skipped':
        // An unknown installation/revision admits pods without a sidecar: worth an operator's attention.
        if (outcome.reason === 'unknownRevision') this.logger.warn(fields, 'Admitted pod without sidecar for unknown revision');
        else this.logger.debug(fields, 'Skipped sidecar injection');
        break;
      case 'denied':
        this.logger.info(fields, 'Denied pod');
        break;
      case 'error':
        this.logger.error({ ...fields, err: outcome.error }, 'Failed to inject sidecar');
        break;
    }
  }

  private readBody(request: IncomingMessage): Promise<Buffer> {
    const tooLarge = () =>
      new HttpError(413, `request body larger than ${this.maxBodyBytes} bytes: the webhook accepts pods up to that size`);
    if (Number(request.headers['content-length'] ?? 0) > this.maxBodyBytes) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= this.maxBodyBytes) return void chunks.push(chunk);
        // Stop buffering but keep the socket so the 413 can still be sent (a chunked body has no length).
        request.off('data', onData);
        request.pause();
        reject(tooLarge());
      };
      request.on('data', onData);
      request.once('end', () => resolve(Buffer.concat(chunks, size)));
      request.once('error', () => reject(new HttpError(400, 'the request was aborted before its body was complete')));
    });
  }

  private send(response: ServerResponse, status: number, contentType: string, body: string): void {
    response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }
}
