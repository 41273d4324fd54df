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
  }

  get(key: string): number | undefined {
    return this.ports[key];
  }

  /** The key's port if still free, else the first free one in the range not assigned to another key. */
  async acquire(key: string): Promise<number> {
    const current = this.ports[key];
    if (current !== undefined && this.inRange(current) && (await isPortFree(current))) return current;
    const taken = new Set(Object.entries(this.ports).filter(([k]) => k !== key).map(([, p]) => p));
    for (let port = this.range.from; port <= this.range.to; port++) {
      if (port === current || taken.has(port)) continue;
      if (await isPortFree(port)) {
        this.assign(key, port);
        return port;
      }
    }
    throw new Error(`no free port in ${this.range.from}-${this.range.to} for ${key}`);
  }

  /** Records a port in use by an adopted process (no bind test: our own process holds it). */
  assign(key: string, port: number): void {
    this.ports[key] = port;
    this.save();
  }

  release(key: string): void {
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
