import { createLogger } from './logger';
import { PinoNestLogger } from './pino-nest.logger';
import { runWithTrace } from './trace-context';

// pino writes each line to destination.write: collect and parse them.
function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

const trace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };

describe('createLogger', () => {
  it('stamps every line with the service and a readable level', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'release', destination }).info({ releaseId: 'r1' }, 'planned');
    expect(lines).toEqual([expect.objectContaining({ service: 'release', level: 'info', msg: 'planned', releaseId: 'r1' })]);
    expect(lines[0]).not.toHaveProperty('traceId');
  });

  it('adds the current trace, tenant and causation through the mixin', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'release', destination });
    runWithTrace({ ...trace, tenantId: 'acme', causationId: '0190f0e0-0000-7000-8000-000000000001' }, () => logger.warn('inside'));
    logger.info('outside');

    expect(lines[0]).toMatchObject({
      msg: 'inside',
      service: 'release',
      traceId: trace.traceId,
      spanId: trace.spanId,
      tenantId: 'acme',
      causationId: '0190f0e0-0000-7000-8000-000000000001',
    });
    expect(lines[1]).toMatchObject({ msg: 'outside' });
    expect(lines[1]).not.toHaveProperty('traceId');
  });

  it('leaves out trace fields that are not set (origin messages have no causation)', () => {
    const { lines, destination } = capture();
    runWithTrace({ ...trace, causationId: null }, () => createLogger({ service: 's', destination }).info('x'));
    expect(lines[0]).toHaveProperty('traceId', trace.traceId);
    expect(lines[0]).not.toHaveProperty('tenantId');
    expect(lines[0]).not.toHaveProperty('causationId');
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 's', level: 'warn', destination });
    logger.info('hidden');
    logger.error('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});

describe('PinoNestLogger', () => {
  it('maps Nest calls to pino lines with context, stack and trace', () => {
    const { lines, destination } = capture();
    const nest = new PinoNestLogger(createLogger({ service: 'ops', level: 'trace', destination }));
    runWithTrace(trace, () => nest.log('Mapped {/x, GET} route', 'RouterExplorer'));
    nest.error('boom', 'Error: boom\n    at x (file.ts:1:1)', 'ExceptionsHandler');
    nest.error(new Error('thrown'));
    nest.verbose('details', 'Ctx');
    nest.warn({ event: 'slow' }, 'Ctx');

    expect(lines[0]).toMatchObject({ level: 'info', msg: 'Mapped {/x, GET} route', context: 'RouterExplorer', traceId: trace.traceId });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'boom', context: 'ExceptionsHandler', stack: expect.stringContaining('at x') });
    expect(lines[2]).toMatchObject({ level: 'error', msg: 'thrown', err: expect.objectContaining({ message: 'thrown' }) });
    expect(lines[3]).toMatchObject({ level: 'trace', msg: 'details', context: 'Ctx' });
    expect(lines[4]).toMatchObject({ level: 'warn', event: 'slow', context: 'Ctx' });
  });

  it('follows Nest log level settings', () => {
    const { lines, destination } = capture();
    const nest = new PinoNestLogger(createLogger({ service: 'ops', destination }));
    nest.setLogLevels(['error', 'warn']);
    nest.log('hidden');
    nest.warn('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
