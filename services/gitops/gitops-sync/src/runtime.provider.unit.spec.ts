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

  it('refuses to start without an adapter or a KUBECONFIG', async () => {
    delete process.env.KUBECONFIG;
    await expect(factory()).rejects.toThrow('no runtime adapter configured');
  });
});
