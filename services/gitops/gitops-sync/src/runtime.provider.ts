import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { RuntimeAdapter } from '@delivery/gitops-runtime';
import path from 'node:path';
import { KubernetesRuntimeAdapter, loadKubeConnection } from '@delivery/gitops-kubernetes';
import { LocalRuntimeAdapter } from '@delivery/gitops-local-runtime';

export const RUNTIME_ADAPTER = Symbol('RUNTIME_ADAPTER');

// The runtime the service converges onto: the one the service definition was given, else Kubernetes when a
// KUBECONFIG is configured, else the embedded local process runtime with its state under GITOPS_RUNTIME_DIR
// (processes and routers outlive a restart of this service and are adopted by the next one).
export function runtimeProvider(runtime: RuntimeAdapter | undefined): Provider {
  return {
    provide: RUNTIME_ADAPTER,
    useFactory: async (): Promise<RuntimeAdapter> => {
      if (runtime) return runtime;
      if (process.env.KUBECONFIG) return new KubernetesRuntimeAdapter({ connection: await loadKubeConnection() });
      return new LocalRuntimeAdapter({ stateDir: path.resolve(process.env.GITOPS_RUNTIME_DIR ?? path.join('.data', 'gitops-runtime')) });
    },
  };
}

/** Stops the runtime's own loops at shutdown (a runtime this service created; the processes it runs stay up). */
@Injectable()
export class RuntimeShutdown implements OnApplicationShutdown {
  constructor(@Inject(RUNTIME_ADAPTER) private readonly runtime: RuntimeAdapter) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.runtime instanceof LocalRuntimeAdapter) await this.runtime.close();
  }
}
