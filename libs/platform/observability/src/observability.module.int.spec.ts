import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createLogger } from './logger';
import { PlatformMetrics } from './metrics';
import { ObservabilityModule } from './observability.module';
import { PinoNestLogger } from './pino-nest.logger';
import { ReadinessRegistry } from './readiness.registry';
import { currentTrace, formatTraceparent, parseTraceparent } from './trace-context';

@Controller('probe')
class ProbeController {
  @Get('trace')
  async trace() {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return currentTrace() ?? null;
  }
}

describe('ObservabilityModule over HTTP', () => {
  let app: INestApplication;
  let readiness: ReadinessRegistry;
  let postgresUp = true;
  const lines: Record<string, unknown>[] = [];
  const metrics = new PlatformMetrics({ defaultMetrics: false });

  beforeAll(async () => {
    const logger = createLogger({ service: 'probe', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
    const moduleRef = await Test.createTestingModule({
      imports: [ObservabilityModule.forRoot({ service: 'probe', logger, metrics })],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: new PinoNestLogger(logger) });
    readiness = app.get(ReadinessRegistry);
    readiness.register('postgres', async () => {
      if (!postgresUp) throw new Error('connection refused');
    });
    readiness.register('nats', async () => undefined);
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves Prometheus text on GET /metrics', async () => {
    metrics.recordDeadLetter({ service: 'probe', type: 'CreateCommit', reasonCode: 'unknown-type' });
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(res.text).toContain('# TYPE handler_duration_seconds histogram');
    expect(res.text).toContain('dead_letters_total{service="probe",type="CreateCommit",reason_code="unknown-type"} 1');
  });

  it('answers /health/live while the process runs', async () => {
    const res = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('answers /health/ready 200 when every registered check passes', async () => {
    postgresUp = true;
    const res = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { postgres: { status: 'up' }, nats: { status: 'up' } } });
  });

  it('answers /health/ready 503 naming the failing checks', async () => {
    postgresUp = false;
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.body).toMatchObject({
      status: 'error',
      failing: ['postgres'],
      error: { postgres: { status: 'down', message: 'connection refused' } },
      info: { nats: { status: 'up' } },
    });
  });

  it('counts a hanging check as down after its timeout', async () => {
    readiness.register('slow', () => new Promise(() => undefined), { timeoutMs: 50 });
    try {
      postgresUp = true;
      const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
      expect(res.body.failing).toEqual(['slow']);
      expect(res.body.error.slow.message).toBe('timed out after 50 ms');
    } finally {
      readiness.unregister('slow');
    }
  });

  it('joins the caller trace from traceparent and answers with a child span', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpan = '00f067aa0ba902b7';
    const res = await request(app.getHttpServer())
      .get('/probe/trace')
      .set('traceparent', formatTraceparent(traceId, parentSpan))
      .expect(200);

    expect(res.body.traceId).toBe(traceId);
    const answered = parseTraceparent(res.headers.traceparent);
    expect(answered).toEqual({ traceId, spanId: res.body.spanId });
    expect(answered?.spanId).not.toBe(parentSpan);
  });

  it('starts a new trace without (or with an invalid) traceparent', async () => {
    const res = await request(app.getHttpServer()).get('/probe/trace').set('traceparent', 'garbage').expect(200);
    expect(res.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parseTraceparent(res.headers.traceparent)?.traceId).toBe(res.body.traceId);
    const other = await request(app.getHttpServer()).get('/probe/trace').expect(200);
    expect(other.body.traceId).not.toBe(res.body.traceId);
  });

  it('routes Nest logs through pino', () => {
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(lines.some((l) => l.service === 'probe' && typeof l.context === 'string')).toBe(true);
  });

  it('reports not ready once shutdown begins', async () => {
    readiness.beforeApplicationShutdown();
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.body.failing).toContain('shutdown');
  });
});
