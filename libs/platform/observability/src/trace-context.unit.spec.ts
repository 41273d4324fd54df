import { currentTrace, formatTraceparent, newSpanId, newTraceId, parseTraceparent, runWithTrace } from './trace-context';

describe('traceparent', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';

  it('formats a sampled version-00 header', () => {
    expect(formatTraceparent(traceId, spanId)).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('parses what it formats, and tolerates surrounding whitespace and any flags', () => {
    expect(parseTraceparent(formatTraceparent(traceId, spanId))).toEqual({ traceId, spanId });
    expect(parseTraceparent(`  00-${traceId}-${spanId}-00 `)).toEqual({ traceId, spanId });
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['garbage', 'not-a-traceparent'],
    ['uppercase hex', `00-${traceId.toUpperCase()}-${spanId}-01`],
    ['short trace id', `00-${traceId.slice(1)}-${spanId}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${spanId}-01`],
    ['all-zero span id', `00-${traceId}-${'0'.repeat(16)}-01`],
    ['unknown version', `01-${traceId}-${spanId}-01`],
  ])('rejects %s', (_case, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('mints ids of the W3C shape', () => {
    expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
    expect(newTraceId()).not.toBe(newTraceId());
  });

  it('carries the context across awaits and only inside runWithTrace', async () => {
    expect(currentTrace()).toBeUndefined();
    const seen = await runWithTrace({ traceId, spanId, tenantId: 'acme' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentTrace();
    });
    expect(seen).toMatchObject({ traceId, tenantId: 'acme' });
    expect(currentTrace()).toBeUndefined();
  });
});
