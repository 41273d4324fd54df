import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** True when nothing listens on 127.0.0.1:<port> (we can bind it ourselves). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// Ports handed out by every allocator of this process (one per environment's supervisor), and where each range's
// next scan starts. A port is claimed before its bind test, so neither two environments nor two replicas started at
// once get the same port while the first one's process has not bound it yet; and a scan goes on from the last port
// handed out instead of test-binding the range from its start every time.
const claimed = new Set<number>();
const cursors = new Map<string, number>();

/** Host ports per replica key, persisted in `<stateDir>/ports.json` so a restart (of process or supervisor) keeps them. */
export class PortAllocator {
  private readonly file: string;
  private ports: Record<string, number>;

  constructor(
    stateDir: string,
    private readonly range: { from: number; to: number },
  ) {
    this.file = path.join(stateDir, 'ports.json');
    this.ports = this.load();
    for (const port of Object.values(this.ports)) claimed.add(port);
  }

  get(key: string): number | undefined {
    return this.ports[key];
  }

  /** The key's port if still free, else the next free one in the range that no replica of this process holds. */
  async acquire(key: string): Promise<number> {
    const current = this.ports[key];
    if (current !== undefined && this.inRange(current) && (await isPortFree(current))) return current;
    const { from, to } = this.range;
    const size = to - from + 1;
    const rangeKey = `${from}-${to}`;
    const start = cursors.get(rangeKey) ?? from;
    for (let i = 0; i < size; i++) {
      const port = from + ((start - from + i) % size);
      if (claimed.has(port)) continue;
      claimed.add(port);
      if (await isPortFree(port)) {
        cursors.set(rangeKey, port === to ? from : port + 1);
        this.assign(key, port);
        return port;
      }
      claimed.delete(port);
    }
    throw new Error(`no free port in ${from}-${to} for ${key}`);
  }

  /** Records a port in use by an adopted process (no bind test: our own process holds it). */
  assign(key: string, port: number): void {
    const before = this.ports[key];
    if (before !== undefined && before !== port) claimed.delete(before);
    claimed.add(port);
    this.ports[key] = port;
    this.save();
  }

  release(key: string): void {
    const port = this.ports[key];
    if (port !== undefined) claimed.delete(port);
    delete this.ports[key];
    this.save();
  }

  private inRange(port: number): boolean {
    return port >= this.range.from && port <= this.range.to;
  }

  private load(): Record<string, number> {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, number>;
    } catch {
      return {};
    }
  }

  private save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.ports, null, 2));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
