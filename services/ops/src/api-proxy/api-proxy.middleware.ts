import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { errorMessageOf } from '@delivery/messaging';
import { LOGGER } from '@delivery/service-kit';
import { ServiceDirectory, type DirectoryEntry } from '../service-directory/service-directory';

const ROUTE = /^\/api\/([^/?#]*)(\/[^?#]*)?(\?.*)?$/;
const SERVICE = /^[a-z][a-z0-9-]{0,62}$/;
// RFC 9110 §7.6.1: connection-specific headers are not forwarded (plus any the Connection header names).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
export const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;

type ProxiedRequest = IncomingMessage & { originalUrl?: string };

// The gateway (DESIGN §2 ops app): /api/<service>/<rest> → <service base URL>/<rest>, any method, headers
// (Authorization, traceparent) passed through, the body streamed byte for byte. Each service authenticates
// the caller itself, so the gateway neither parses bodies nor checks tokens.
@Injectable()
export class ApiProxyMiddleware implements NestMiddleware {
  constructor(
    private readonly directory: ServiceDirectory,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  use(req: ProxiedRequest, res: ServerResponse, _next: () => void): void {
    void this.forward(req, res);
  }

  private async forward(req: ProxiedRequest, res: ServerResponse): Promise<void> {
    const match = ROUTE.exec(req.originalUrl ?? req.url ?? '');
    const [, service = '', rest = '/', query = ''] = match ?? [];
    if (!SERVICE.test(service)) return reply(res, 404, 'unknown-service', 'route by /api/<service>/<path>');
    if (hasDotSegment(rest)) return reply(res, 400, 'bad-path', 'path segments "." and ".." are not routed');
    let target: DirectoryEntry | undefined;
    try {
      target = await this.directory.resolve(service);
    } catch (error) {
      this.logger.error({ err: error, service }, 'service directory unavailable');
      return reply(res, 503, 'directory-unavailable', 'the service directory cannot be read right now');
    }
    if (!target) return reply(res, 404, 'unknown-service', `no running service "${service}"`);

    const base = new URL(target.url);
    const started = Date.now();
    const upstream = (base.protocol === 'https:' ? https : http).request({
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: base.port,
      method: req.method,
      path: `${base.pathname.replace(/\/+$/, '')}${rest}${query}`,
      headers: forwardedHeaders(req, base, service),
      timeout: UPSTREAM_IDLE_TIMEOUT_MS,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.headers));
      answer.pipe(res);
      answer.on('end', () => this.logger.debug({ service, method: req.method, path: rest, status: answer.statusCode, ms: Date.now() - started }, 'proxied'));
    });
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error(`${service} sent nothing for ${UPSTREAM_IDLE_TIMEOUT_MS} ms`), { code: 'UPSTREAM_TIMEOUT' })));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      this.logger.warn({ err: error, service, url: target.url }, 'proxied request failed');
      if (res.headersSent) return void res.destroy(error);
      if (error.code === 'UPSTREAM_TIMEOUT') return reply(res, 504, 'service-timeout', errorMessageOf(error));
      reply(res, 502, 'service-unavailable', `${service} at ${target.url} did not answer: ${error.code ?? errorMessageOf(error)}`);
    });
    // The caller went away: stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}

function forwardedHeaders(req: IncomingMessage, base: URL, service: string): IncomingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  const remote = req.socket.remoteAddress;
  headers.host = base.host;
  headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], remote].filter(Boolean).join(', ');
  headers['x-forwarded-host'] ??= req.headers.host;
  headers['x-forwarded-proto'] ??= 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  headers['x-forwarded-prefix'] = `/api/${service}`;
  return headers;
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

// Raw and percent-encoded: the target must stay inside the service's own base path. (An encoded slash, as in a
// branch name, is forwarded as it came and stays one path parameter.)
function hasDotSegment(path: string): boolean {
  return path.split('/').some((segment) => {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return true;
    }
    return decoded === '.' || decoded === '..';
  });
}

function reply(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ statusCode: status, code, message });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
