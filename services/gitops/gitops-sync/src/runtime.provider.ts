import type { Provider } from '@nestjs/common';
import type { RuntimeAdapter } from '@delivery/gitops-runtime';
import { KubernetesRuntimeAdapter, loadKubeConnection } from '@delivery/gitops-kubernetes';

export const RUNTIME_ADAPTER = Symbol('RUNTIME_ADAPTER');

// The runtime the service converges onto: the one the service definition was given, else Kubernetes when a
// KUBECONFIG is configured. The embedded local runtime (@delivery/gitops-local-runtime) becomes the default in
// place of the error below, once that adapter exists.
export function runtimeProvider(runtime: RuntimeAdapter | undefined): Provider {
  return {
    provide: RUNTIME_ADAPTER,
    useFactory: async (): Promise<RuntimeAdapter> => {
      if (runtime) return runtime;
      if (process.env.KUBECONFIG) return new KubernetesRuntimeAdapter({ connection: await loadKubeConnection() });
      throw new Error('no runtime adapter configured: pass gitopsSyncService({ runtime }) or set KUBECONFIG');
    },
  };
}
