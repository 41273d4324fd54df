import { AsyncResource } from 'node:async_hooks';

export type Limiter = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * At most `concurrency` works at once, the others queued in order. A queued work runs in the async context it was
 * queued from (its trace), not in that of the work whose end lets it start.
 */
export function limiter(concurrency: number): Limiter {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    if (running >= concurrency) return;
    const start = queue.shift();
    if (start) start();
  };
  return <T>(work: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(
        AsyncResource.bind(() => {
          running++;
          Promise.resolve()
            .then(work)
            .then(resolve, reject)
            .finally(() => {
              running--;
              next();
            });
        }),
      );
      next();
    });
}
