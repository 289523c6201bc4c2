/**
 * HTTP endpoint of a sideband process: /metrics (Prometheus text exposition), /healthz (liveness: the event loop
 * answers) and /readyz (readiness: the caller's predicate, e.g. "source connected and state restored").
 * Plain node:http, no framework: three routes do not need one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metrics } from './index.js';
import { SidebandError } from '../events/errors.js';

export interface MetricsServerOptions {
  /** Interface to bind; default 127.0.0.1 (use 0.0.0.0 in a container). */
  host?: string;
  /** Port; 0 picks an ephemeral one (the real port is in the result). Default 9464. */
  port?: number;
  metrics: Metrics;
  /** Readiness predicate for /readyz; default: always ready. */
  ready?: () => boolean;
}

export interface MetricsServer {
  /** Base URL, e.g. http://127.0.0.1:9464 */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const ready = options.ready ?? (() => true);
  const { metrics } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (body) =>
          res
            .writeHead(200, { 'content-type': metrics.registry.contentType })
            .end(req.method === 'HEAD' ? undefined : body),
        (err: unknown) =>
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: collection failed: ${String(err)}\n`),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      let ok = false;
      try {
        ok = ready();
      } catch {
        ok = false;
      }
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz, /readyz\n');
    }
  });
  // Scrapes are short; do not let an idle keep-alive socket hold the process open at shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        new SidebandError(`metrics server: cannot listen on ${host}:${options.port ?? 9464}: ${err.message}`, {
          cause: err,
        }),
      );
    server.once('error', onError);
    server.listen(options.port ?? 9464, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * The metrics of one command (`run`, `router`, `worker`): a fresh registry, served on --metrics-port (or the
 * topology's `metrics.port`) when one is given; `close()` stops the server.
 */
export async function commandMetrics(
  role: 'run' | 'router' | 'worker',
  where: { port?: string | number; host?: string },
  log: (m: string) => void,
): Promise<{ metrics: Metrics; close(): Promise<void> }> {
  const metrics = new Metrics({ role });
  if (where.port === undefined) return { metrics, close: async () => {} };
  const server = await startMetricsServer({ metrics, port: Number(where.port), host: where.host });
  log(`metrics: ${server.url}/metrics`);
  return { metrics, close: () => server.close() };
}
