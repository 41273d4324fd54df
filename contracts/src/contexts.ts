// The six bounded contexts and the services inside them (DESIGN §2). Everything that names a service or a
// context (subjects, streams, durables, the AsyncAPI document, Nx tags) derives from this table.
export const contexts = [
  'source-control',
  'pipelines',
  'packaging',
  'release',
  'infrastructure',
  'gitops',
  // Not a domain context: the ops app's own audit events (dead-letter replays and discards).
  'operations',
] as const;
export type ContextName = (typeof contexts)[number];

export const services = {
  repository: 'source-control',
  branch: 'source-control',
  commit: 'source-control',
  'pull-request': 'source-control',
  'pipeline-generator': 'pipelines',
  'pipeline-execution': 'pipelines',
  'build-result': 'pipelines',
  'package-publishing': 'packaging',
  'container-image': 'packaging',
  release: 'release',
  'environment-promotion': 'release',
  'deployment-manifest': 'release',
  'iac-provisioning': 'infrastructure',
  'gitops-sync': 'gitops',
  ops: 'operations',
} as const satisfies Record<string, ContextName>;
export type ServiceName = keyof typeof services;

export const serviceNames = Object.keys(services) as ServiceName[];

export function contextOf(service: ServiceName): ContextName {
  return services[service];
}

export function servicesIn(context: ContextName): ServiceName[] {
  return serviceNames.filter((s) => services[s] === context);
}

export function isServiceName(value: string): value is ServiceName {
  return Object.prototype.hasOwnProperty.call(services, value);
}
