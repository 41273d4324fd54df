import { deploymentHealth, type DeploymentLike } from './deployment.health';

// Cases mirror gitops-engine's health_deployment.go branches, in its order.
function deployment(over: { generation?: number; spec?: DeploymentLike['spec']; status?: DeploymentLike['status'] }): DeploymentLike {
  return {
    metadata: { name: 'shop', generation: over.generation ?? 2 },
    spec: { replicas: 3, ...over.spec },
    status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, ...over.status },
  };
}

describe('deploymentHealth (Argo CD rules)', () => {
  it('is Healthy when every replica is updated and available at the observed generation', () => {
    expect(deploymentHealth(deployment({}))).toEqual({ status: 'Healthy' });
  });

  it('is Suspended when paused, before any other rule', () => {
    expect(deploymentHealth(deployment({ generation: 5, spec: { paused: true } }))).toEqual({ status: 'Suspended', message: 'Deployment is paused' });
  });

  it('is Progressing while the controller has not observed the latest generation', () => {
    expect(deploymentHealth(deployment({ generation: 3 }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed deployment generation less than desired generation',
    });
  });

  it('is Degraded when the Progressing condition says ProgressDeadlineExceeded', () => {
    const d = deployment({ status: { updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] } });
    expect(deploymentHealth(d)).toEqual({ status: 'Degraded', message: 'Deployment "shop" exceeded its progress deadline' });
  });

  it('ignores other Progressing reasons', () => {
    const d = deployment({ status: { conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] } });
    expect(deploymentHealth(d).status).toBe('Healthy');
  });

  it('is Progressing while updatedReplicas < spec.replicas', () => {
    expect(deploymentHealth(deployment({ status: { updatedReplicas: 1 } }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 1 out of 3 new replicas have been updated...',
    });
  });

  it('is Progressing while old replicas are pending termination', () => {
    expect(deploymentHealth(deployment({ status: { replicas: 5, updatedReplicas: 3 } }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 2 old replicas are pending termination...',
    });
  });

  it('is Progressing while updated replicas are not all available', () => {
    expect(deploymentHealth(deployment({ status: { availableReplicas: 1 } }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 1 of 3 updated replicas are available...',
    });
  });

  it('skips the updated-replicas rule when spec.replicas is unset, as Argo does with a nil pointer', () => {
    const d: DeploymentLike = { metadata: { name: 'shop', generation: 1 }, spec: {}, status: { observedGeneration: 1 } };
    expect(deploymentHealth(d).status).toBe('Healthy');
  });

  it('treats a brand-new Deployment without status as Progressing', () => {
    expect(deploymentHealth({ metadata: { name: 'shop', generation: 1 }, spec: { replicas: 1 } }).status).toBe('Progressing');
  });
});
