// How the API server reaches the injection webhook, and a check that it can: a TLS call to /healthz through
// the same address and CA bundle the webhook configuration carries. Until that succeeds the configuration
// uses failurePolicy Ignore (as Istio's validation webhook starts), so a broken route cannot block pods.
import { request } from 'node:https';
import type { Logger } from 'pino';

export type WebhookClientConfig = { url: string } | { service: { name: string; namespace: string; port: number } };

export function webhookClientConfig(url: string | undefined, service: string, namespace: string): WebhookClientConfig {
  return url ? { url } : { service: { name: service, namespace, port: 443 } };
}

function healthUrl(config: WebhookClientConfig): string {
  if ('url' in config) return new URL('/healthz', config.url).toString();
  return `https://${config.service.name}.${config.service.namespace}.svc:${config.service.port}/healthz`;
}

export async function verifyWebhookEndpoint(config: WebhookClientConfig, caBundle: string, log: Logger): Promise<boolean> {
  const url = healthUrl(config);
  const ca = Buffer.from(caBundle, 'base64').toString('utf8');
  const ok = await new Promise<boolean>((resolve) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => {
      log.warn({ err, url }, 'Webhook endpoint is not reachable yet; keeping failurePolicy Ignore');
      resolve(false);
    });
    req.end();
  });
  if (ok) log.info({ url }, 'Verified webhook endpoint; webhook configurations use failurePolicy Fail');
  return ok;
}
