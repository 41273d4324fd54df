import type { HealthStatus } from '@delivery/gitops-runtime';

// Deployment health exactly as Argo CD decides it: written from our knowledge of gitops-engine's
// pkg/health/health_deployment.go (getAppsv1DeploymentHealth), itself borrowed from kubectl's rollout status.
// Same order, same messages; a Deployment that does not exist is the caller's "Missing".

export interface DeploymentLike {
  metadata: { name: string; generation?: number };
  spec?: { replicas?: number; paused?: boolean };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status?: string; reason?: string; message?: string }>;
  };
}

export interface HealthResult {
  status: HealthStatus;
  message?: string;
}

export function deploymentHealth(deployment: DeploymentLike): HealthResult {
  const spec = deployment.spec ?? {};
  const status = deployment.status ?? {};
  if (spec.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  const generation = deployment.metadata.generation ?? 0;
  const observedGeneration = status.observedGeneration ?? 0;
  if (generation > observedGeneration) {
    return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: `Deployment "${deployment.metadata.name}" exceeded its progress deadline` };
  }
  const updated = status.updatedReplicas ?? 0;
  const current = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  // Argo skips this test when spec.replicas is unset (nil pointer)
  if (spec.replicas !== undefined && updated < spec.replicas) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${spec.replicas} new replicas have been updated...` };
  }
  if (current > updated) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${current - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { status: 'Progressing', message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { status: 'Healthy' };
}
