import { AsyncLocalStorage } from 'node:async_hooks';
import { limiter } from './limiter';

describe('limiter', () => {
  it('runs at most `concurrency` works at once, the others in the order they were queued', async () => {
    const limit = limiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => deferred());
    const works = gates.map((gate, i) =>
      limit(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    gates.forEach((g) => g.resolve());
    expect(await Promise.all(works)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('passes a failure to its caller and goes on with the next work', async () => {
    const limit = limiter(1);
    const failing = limit(() => Promise.reject(new Error('boom')));
    const next = limit(async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('runs a queued work in the async context it was queued from, not in that of the work before it', async () => {
    const limit = limiter(1);
    const trace = new AsyncLocalStorage<string>();
    const gate = deferred();
    const first = trace.run('first', () => limit(() => gate.promise.then(() => trace.getStore())));
    const second = trace.run('second', () => limit(async () => trace.getStore()));
    gate.resolve();
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
