// The operator's plain-HTTP endpoints: /healthz (the process is alive and its loops are turning),
// /readyz (informers have synced and the webhook serves), /metrics (Prometheus text format).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface ProbeChecks {
  /** Each check returns undefined when healthy, or a short reason. */
  live: Record<string, () => string | undefined>;
  ready: Record<string, () => string | undefined>;
}

function report(checks: Record<string, () => string | undefined>): { ok: boolean; body: string } {
  const failures = Object.entries(checks).flatMap(([name, check]) => {
    const reason = check();
    return reason ? [`[-]${name} failed: ${reason}`] : [];
  });
  return failures.length === 0 ? { ok: true, body: 'ok\n' } : { ok: false, body: `${failures.join('\n')}\n` };
}

export function startProbeServer(host: string, port: number, checks: ProbeChecks, registry: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    const probe = path === '/healthz' || path === '/livez' ? checks.live : path === '/readyz' ? checks.ready : undefined;
    if (!probe) {
      res.writeHead(404).end('not found\n');
      return;
    }
    const { ok, body } = report(probe);
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
