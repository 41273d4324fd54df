import type { FactoryProvider } from '@nestjs/common';
import type { RuntimeAdapter } from '@delivery/gitops-runtime';
import { runtimeProvider } from './runtime.provider';

describe('runtimeProvider', () => {
  const saved = process.env.KUBECONFIG;
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  });
  const factory = (runtime?: RuntimeAdapter) => (runtimeProvider(runtime) as FactoryProvider<Promise<RuntimeAdapter>>).useFactory();

  it('takes the adapter it is given', async () => {
    const given: RuntimeAdapter = { kind: 'local', apply: async () => ({ changed: [] }), observe: async () => ({ environment: 'e', application: 'a', workloads: [], weights: null }), applications: async () => [] };
    await expect(factory(given)).resolves.toBe(given);
  });

  it('runs the embedded local runtime without an adapter or a KUBECONFIG', async () => {
    delete process.env.KUBECONFIG;
    const runtime = await factory();
    expect(runtime.kind).toBe('local');
    await (runtime as unknown as { close(): Promise<void> }).close();
  });
});
