// The webhook server under benchmark, in its own process so the load generator does not share its CPU.
// Receives the serving key pair over IPC, answers with the bound port.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { KeyPair } from '../../webhooks/certificates/pem.js';
import { defaultInjectionConfig } from '../../webhooks/inject/index.js';
import { WebhookServer } from '../../webhooks/server.js';

process.once('message', async (tls: KeyPair) => {
  const settings = { config: defaultInjectionConfig(), drain: { policy: 'Adjust' as const } };
  const server = new WebhookServer({ tls, resolveSettings: () => settings, registry: new Registry(), logger: pino({ level: 'silent' }) });
  const { port } = await server.listen(0, '127.0.0.1');
  process.send?.({ port });
  process.once('disconnect', () => void server.close());
});
