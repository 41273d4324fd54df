import { readFileSync } from 'node:fs';
import type { KubeConnection } from './kube-api.client';

// The only place that touches @kubernetes/client-node: it is ESM-only, so it is imported lazily with a native
// import() that the CommonJS build cannot rewrite into require(). Jest never loads this path (its VM has no dynamic
// import callback); the smoke test reads the kubeconfig through a child node process instead.

export interface KubeConfigCluster {
  server: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify?: boolean;
}

export interface KubeConfigUser {
  token?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
}

const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

interface ClientNodeModule {
  KubeConfig: new () => {
    loadFromDefault(): void;
    getCurrentCluster(): KubeConfigCluster | null;
    getCurrentUser(): KubeConfigUser | null;
  };
}

/** Reads KUBECONFIG (or ~/.kube/config, or in-cluster) the way kubectl does, through @kubernetes/client-node. */
export async function loadKubeConnection(): Promise<KubeConnection> {
  const { KubeConfig } = (await importEsm('@kubernetes/client-node')) as ClientNodeModule;
  const config = new KubeConfig();
  config.loadFromDefault();
  return kubeConnectionOf(config.getCurrentCluster(), config.getCurrentUser());
}

/** Maps client-node's current cluster/user (base64 *Data fields) onto our connection. Exec plugins are not run. */
export function kubeConnectionOf(cluster: KubeConfigCluster | null, user: KubeConfigUser | null): KubeConnection {
  if (!cluster?.server) throw new Error('kubeconfig has no current cluster with a server');
  const pem = (data: string | undefined, file: string | undefined) =>
    data ? Buffer.from(data, 'base64').toString('utf8') : file ? readFileSync(file, 'utf8') : undefined;
  return {
    server: cluster.server,
    ca: pem(cluster.caData, cluster.caFile),
    insecureSkipTlsVerify: cluster.skipTLSVerify ?? false,
    token: user?.token,
    cert: pem(user?.certData, user?.certFile),
    key: pem(user?.keyData, user?.keyFile),
  };
}
