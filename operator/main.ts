// The operator process: wiring only. Flags and environment → logger, clients, certificates, webhook server,
// informers, work queue, the MeshInstallation watch, probes; SIGTERM drains the queue and exits cleanly.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { reconcile, type Context } from './controller/meshinstallation.js';
import { OperatorMetrics } from './metrics.js';
import { MeshInstallationWatch } from './runtime/dot-i-adapter.js';
import { EventRecorder } from './runtime/events.js';
import { OwnedInformers } from './runtime/informers.js';
import { KubeClient } from './runtime/kube.js';
import { LeaderElector } from './runtime/leader-election.js';
import { startProbeServer } from './runtime/probes.js';
import { WorkQueue } from './runtime/workqueue.js';
import { InjectionRegistry } from './webhook/registry.js';
import { startCertificates } from './webhook/certificates.js';
import { verifyWebhookEndpoint, webhookClientConfig } from './webhook/endpoint.js';
import { WebhookServer } from '../webhooks/server.js';

const FLAGS = {
  namespace: { type: 'string', default: process.env.POD_NAMESPACE ?? 'meshloom-system' },
  'webhook-host': { type: 'string', default: '0.0.0.0' },
  'webhook-port': { type: 'string', default: '9443' },
  'webhook-url': { type: 'string' },
  'webhook-service': { type: 'string', default: 'meshloom-webhook' },
  'webhook-cert-validity-days': { type: 'string', default: '90' },
  certificates: { type: 'string', default: 'SelfSigned' },
  'cert-manager-issuer': { type: 'string' },
  'probe-host': { type: 'string', default: '0.0.0.0' },
  'probe-port': { type: 'string', default: '8080' },
  concurrency: { type: 'string', default: '2' },
  'leader-elect': { type: 'boolean', default: false },
  'leader-election-id': { type: 'string', default: 'meshloom-operator' },
  'resync-seconds': { type: 'string', default: '600' },
  'log-level': { type: 'string', default: process.env.LOG_LEVEL ?? 'info' },
} as const;

export class InvalidFlagError extends Error {
  constructor(flag: string, value: string, expected: string) {
    super(`--${flag}=${value} is invalid: expected ${expected}`);
    this.name = 'InvalidFlagError';
  }
}

function intFlag(values: Record<string, unknown>, flag: string, min: number): number {
  const value = Number(values[flag]);
  if (!Number.isInteger(value) || value < min) throw new InvalidFlagError(flag, String(values[flag]), `an integer ≥ ${min}`);
  return value;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: FLAGS, strict: true });
  const log = pino({ level: values['log-level'], base: { component: 'meshloom-operator' } });
  const namespace = values.namespace;
  const metrics = new OperatorMetrics();

  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromDefault();
  const client = new KubeClient(kubeConfig);
  const queue = new WorkQueue({
    concurrency: intFlag(values, 'concurrency', 1),
    onError: (key, err, retryInMs) => log.error({ err, meshinstallation: key, retryInMs }, 'Reconcile failed; retrying'),
  });
  const installations = new InjectionRegistry(kubeConfig, log);

  // The webhook: certificates first (it cannot serve without them), then the server, then a check that the
  // API server's route to it works, after which the webhook configuration may use failurePolicy Fail.
  const provider = values.certificates;
  if (provider !== 'SelfSigned' && provider !== 'CertManager') throw new InvalidFlagError('certificates', provider, 'SelfSigned or CertManager');
  const { source: certificates, material } = await startCertificates(
    {
      provider,
      namespace,
      serviceName: values['webhook-service'],
      servingValidityDays: intFlag(values, 'webhook-cert-validity-days', 1),
      issuer: values['cert-manager-issuer'],
    },
    client,
    log,
  );
  const webhook = new WebhookServer({ tls: material.serving, resolveSettings: installations.resolve, registry: metrics.registry, logger: log });
  await webhook.listen(intFlag(values, 'webhook-port', 1), values['webhook-host']);
  const clientConfig = webhookClientConfig(values['webhook-url'], values['webhook-service'], namespace);
  let caBundle = material.caBundle;
  let endpointVerified = await verifyWebhookEndpoint(clientConfig, caBundle, log);
  let reconciling = false;
  certificates.onChange(async (next) => {
    // The API server must trust a new CA before the server presents a certificate it signed: re-apply the
    // webhook configurations with the new caBundle (when this replica reconciles), then reload.
    caBundle = next.caBundle;
    for (const name of installations.names()) queue.add(name);
    if (reconciling) await Promise.race([queue.idle(), sleep(30_000)]);
    webhook.reload(next.serving);
  });

  const informers = new OwnedInformers({ kubeConfig, log, onOwnerChanged: (name) => queue.add(name) });
  const ctx: Context = {
    client,
    informers,
    events: new EventRecorder(client, log),
    log,
    metrics,
    now: () => new Date(),
    injectedVersion: installations.injectedVersion,
    certificateProvider: provider,
    renderEnvironment: () => ({
      operatorNamespace: namespace,
      injector: { clientConfig, caBundle, failurePolicy: endpointVerified ? 'Fail' : 'Ignore' },
    }),
  };

  const probes = await startProbeServer(
    values['probe-host'],
    intFlag(values, 'probe-port', 1),
    {
      live: { workqueue: () => undefined },
      ready: {
        informers: () => (informers.synced ? undefined : 'owned-object caches have not synced'),
        nodes: () => (installations.synced ? undefined : 'node cache has not synced'),
      },
    },
    metrics.registry,
  );

  await Promise.all([informers.start(), installations.start()]);
  if (!endpointVerified) endpointVerified = await verifyWebhookEndpoint(clientConfig, caBundle, log);
  const startReconciling = () => {
    reconciling = true;
    queue.start(async (name) => {
      const end = metrics.reconcileDuration.startTimer();
      try {
        const result = await reconcile(name, ctx);
        metrics.reconcileTotal.inc({ result: result?.requeueAfterMs ? 'requeue' : 'success' });
        return result;
      } catch (err) {
        metrics.reconcileTotal.inc({ result: 'error' });
        throw err;
      } finally {
        end();
        metrics.queueDepth.set(queue.length);
      }
    });
  };
  const watch = new MeshInstallationWatch(log, {
    onChange: (name, object) => {
      installations.update(name, object);
      queue.add(name);
    },
  });
  await MeshInstallationWatch.waitUntilWatchable(kubeConfig, log);
  await watch.start();
  // Every replica serves the webhook (it needs the watch above); only the leader reconciles.
  const elector = values['leader-elect']
    ? new LeaderElector(kubeConfig, { namespace, name: values['leader-election-id'], identity: `${hostname()}_${randomBytes(4).toString('hex')}` }, log)
    : undefined;
  if (elector) {
    void elector.run(startReconciling, () => process.exit(1));
  } else {
    startReconciling();
  }
  const resync = setInterval(() => installations.names().forEach((name) => queue.add(name)), intFlag(values, 'resync-seconds', 1) * 1000);
  log.info({ namespace, webhook: clientConfig }, 'Started meshloom operator');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Shutting down');
    clearInterval(resync);
    certificates.stop();
    await queue.shutdown();
    await elector?.release();
    await Promise.allSettled([informers.stop(), installations.stop(), webhook.close()]);
    probes.close();
    // dot-i's stop() exits the process with code 1; the queue is drained, so exit cleanly instead.
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    pino().fatal({ err }, 'Operator failed to start');
    process.exit(1);
  });
}
