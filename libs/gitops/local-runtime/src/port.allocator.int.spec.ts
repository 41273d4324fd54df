import { createServer } from 'node:net';
import { isPortFree, PortAllocator } from './port.allocator';
import { tempDir } from './local-runtime.testing';

// Real sockets on 127.0.0.1.
const range = { from: 24600, to: 24609 };

describe('PortAllocator', () => {
  it('keeps a replica its port across instances on the same state dir, and gives each replica its own', async () => {
    const dir = tempDir('ports');
    const first = new PortAllocator(dir, range);
    const a = await first.acquire('web-0');
    const b = await first.acquire('web-1');
    expect(a).not.toBe(b);
    const second = new PortAllocator(dir, range);
    expect(await second.acquire('web-1')).toBe(b);
    expect(await second.acquire('web-0')).toBe(a);
  });

  it('reallocates a port found taken, and says when the range is exhausted', async () => {
    const dir = tempDir('ports');
    const allocator = new PortAllocator(dir, { from: 24620, to: 24621 });
    const port = await allocator.acquire('web-0');
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      expect(await isPortFree(port)).toBe(false);
      const other = await allocator.acquire('web-0');
      expect(other).not.toBe(port);
      expect(new PortAllocator(dir, range).get('web-0')).toBe(other);
      await expect(allocator.acquire('web-1')).rejects.toThrow('no free port in 24620-24621 for web-1');
    } finally {
      squatter.close();
    }
  });

  it('forgets a released port', async () => {
    const dir = tempDir('ports');
    const allocator = new PortAllocator(dir, range);
    await allocator.acquire('web-0');
    allocator.release('web-0');
    expect(new PortAllocator(dir, range).get('web-0')).toBeUndefined();
  });

  it('never gives one port to two environments or two replicas acquiring at once, before either process binds it', async () => {
    const wide = { from: 24640, to: 24659 };
    const environments = [new PortAllocator(tempDir('ports-dev'), wide), new PortAllocator(tempDir('ports-prod'), wide)];
    const ports = await Promise.all(environments.flatMap((allocator) => [0, 1, 2, 3].map((i) => allocator.acquire(`web-${i}`))));
    expect(new Set(ports).size).toBe(ports.length);
    // a supervisor restarted on a state dir keeps its replicas' ports out of the others' reach
    const again = new PortAllocator(tempDir('ports-stage'), wide);
    const more = await Promise.all([0, 1, 2, 3].map((i) => again.acquire(`web-${i}`)));
    expect(more.filter((p) => ports.includes(p))).toEqual([]);
  });
});
