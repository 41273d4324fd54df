import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { spawnCompiled } from '@delivery/testing';

// What the scenarios that run a real service as its own process (r1, i1, p1, go1) share.

/** utime + stime of a process from /proc (Linux; 0 elsewhere), in seconds: a service's own CPU, beside the bench's. */
export function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** SIGTERM (graceful shutdown), SIGKILL if it is still there after 10 s: never a leaked service process. */
export async function stop(service: ReturnType<typeof spawnCompiled>): Promise<void> {
  if (service.process.exitCode !== null || service.process.signalCode !== null) return;
  service.process.kill('SIGTERM');
  const timer = setTimeout(() => service.process.kill('SIGKILL'), 10_000);
  await service.exited;
  clearTimeout(timer);
}
