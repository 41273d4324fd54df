import { renderManifests, type RenderManifestInput } from './manifest.renderer';
import { digest, input, names, OLD_REVISION, pinned, previous, PREVIOUS, RELEASE, textOf, workloadOf, yamlOf } from './manifest.test-fixture';

// Blue-green and canary: which slot this release goes to, what the other slot keeps, how traffic is switched or split.
describe('renderManifests with slots', () => {
  describe('blue-green', () => {
    const blueGreen = (trafficWeights?: RenderManifestInput['trafficWeights']) => input({ strategy: { kind: 'blue-green', keepPreviousSlotSeconds: 600 }, ...(trafficWeights ? { trafficWeights } : {}) });
    const toGreen = blueGreen([{ slot: 'blue', weight: 100, revision: OLD_REVISION }, { slot: 'green', weight: 0 }]);

    it('puts this release in the idle slot and keeps the Service on the active one until the switch', () => {
      const out = renderManifests(toGreen, { previous });
      expect(names(out)).toEqual(['deployment-blue.yaml', 'deployment-green.yaml', 'service-blue.yaml', 'service-green.yaml', 'service.yaml', 'workload.json']);
      const blue = yamlOf(out, 'deployment-blue.yaml');
      const green = yamlOf(out, 'deployment-green.yaml');
      expect(green.metadata.name).toBe('shop-api-green');
      expect(green.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'shop-api', 'delivery.platform/slot': 'green' });
      expect(green.spec.template.spec.containers[0].image).toBe(pinned);
      expect(green.spec.template.metadata.labels['delivery.platform/release-id']).toBe(RELEASE);
      expect(blue.spec.template.spec.containers[0].image).toBe(`registry.local:5000/shop/api@${digest('b')}`);
      expect(blue.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/version': '1.3.0', 'delivery.platform/release-id': PREVIOUS, 'delivery.platform/slot': 'blue' });
      expect([blue.spec.replicas, green.spec.replicas]).toEqual([2, 2]);
      expect(yamlOf(out, 'service.yaml').spec.selector).toEqual({ 'app.kubernetes.io/name': 'shop-api', 'delivery.platform/slot': 'blue' });
      expect(yamlOf(out, 'service-green.yaml').spec.selector).toEqual({ 'app.kubernetes.io/name': 'shop-api', 'delivery.platform/slot': 'green' });
      expect(workloadOf(out)).toMatchObject({
        slot: 'green',
        slots: [
          { slot: 'blue', weight: 100, replicas: 2, revision: OLD_REVISION, releaseId: PREVIOUS, version: '1.3.0' },
          { slot: 'green', weight: 0, replicas: 2, revision: null, releaseId: RELEASE, version: '1.4.0' },
        ],
      });
    });

    it('switches the Service selector to this release and keeps the idle slot warm at full replicas', () => {
      const before = renderManifests(toGreen, { previous });
      const out = renderManifests(blueGreen([{ slot: 'blue', weight: 0, revision: OLD_REVISION }, { slot: 'green', weight: 100 }]), { previous });
      expect(yamlOf(out, 'service.yaml').spec.selector['delivery.platform/slot']).toBe('green');
      expect(yamlOf(out, 'deployment-blue.yaml').spec.replicas).toBe(2);
      // the switch is the Service alone: both Deployments keep their bytes, so no pod restarts
      for (const name of ['deployment-blue.yaml', 'deployment-green.yaml']) expect(textOf(out, name)).toBe(textOf(before, name));
      expect(textOf(out, 'service.yaml')).not.toBe(textOf(before, 'service.yaml'));
    });

    it('given no previous release, then the other slot is not rendered and its file in Git stays as it is', () => {
      const out = renderManifests(toGreen);
      expect(names(out)).toEqual(['deployment-green.yaml', 'service-blue.yaml', 'service-green.yaml', 'service.yaml', 'workload.json']);
      expect(workloadOf(out).slots[0]).toMatchObject({ slot: 'blue', weight: 100, releaseId: null });
    });

    it('given no weights, then the first release lands in blue with the Service on it', () => {
      const out = renderManifests(blueGreen());
      expect(names(out)).toContain('deployment-blue.yaml');
      expect(names(out)).not.toContain('deployment-green.yaml');
      expect(yamlOf(out, 'service.yaml').spec.selector['delivery.platform/slot']).toBe('blue');
    });
  });

  describe('canary', () => {
    const canary = (trafficWeights: RenderManifestInput['trafficWeights'], replicas = 10) =>
      input({ strategy: { kind: 'canary', steps: [{ weight: 10, pauseSeconds: 60 }, { weight: 100 }] }, trafficWeights }, { replicas });
    const tenPercent = canary([{ slot: 'stable', weight: 90, revision: OLD_REVISION }, { slot: 'canary', weight: 10 }]);

    it('splits 10 replicas 9 stable / 1 canary by weight, the main Service selecting both', () => {
      const out = renderManifests(tenPercent, { previous });
      expect(names(out)).toEqual(['deployment-canary.yaml', 'deployment-stable.yaml', 'service-canary.yaml', 'service-stable.yaml', 'service.yaml', 'workload.json']);
      const stable = yamlOf(out, 'deployment-stable.yaml');
      const canaryDeployment = yamlOf(out, 'deployment-canary.yaml');
      expect([stable.spec.replicas, canaryDeployment.spec.replicas]).toEqual([9, 1]);
      expect(stable.spec.template.metadata.labels['delivery.platform/release-id']).toBe(PREVIOUS);
      expect(canaryDeployment.spec.template.spec.containers[0].image).toBe(pinned);
      expect(yamlOf(out, 'service.yaml').spec.selector).toEqual({ 'app.kubernetes.io/name': 'shop-api' });
      expect(workloadOf(out).slots.map((s: { slot: string; weight: number; replicas: number }) => [s.slot, s.weight, s.replicas])).toEqual([
        ['stable', 90, 9],
        ['canary', 10, 1],
      ]);
    });

    it('given a Gateway, then an HTTPRoute carries the weights to the slot Services', () => {
      const out = renderManifests(tenPercent, { previous, namespace: 'shop', gateway: { name: 'public', namespace: 'gateways', sectionName: 'https' } });
      const route = yamlOf(out, 'httproute.yaml');
      expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
      expect(route.kind).toBe('HTTPRoute');
      expect(route.metadata).toMatchObject({ name: 'shop-api', namespace: 'shop' });
      expect(route.spec).toEqual({
        parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }],
        rules: [
          {
            backendRefs: [
              { name: 'shop-api-stable', port: 8080, weight: 90 },
              { name: 'shop-api-canary', port: 8080, weight: 10 },
            ],
          },
        ],
      });
      expect(yamlOf(out, 'service-canary.yaml').spec.selector).toEqual({ 'app.kubernetes.io/name': 'shop-api', 'delivery.platform/slot': 'canary' });
      expect(names(renderManifests(tenPercent, { previous }))).not.toContain('httproute.yaml');
    });

    it('given too few replicas for the ratio, then a Gateway still gives each weighted slot a pod', () => {
      const out = renderManifests(canary([{ slot: 'stable', weight: 90, revision: OLD_REVISION }, { slot: 'canary', weight: 10 }], 1), { previous, gateway: { name: 'public' } });
      expect([yamlOf(out, 'deployment-stable.yaml').spec.replicas, yamlOf(out, 'deployment-canary.yaml').spec.replicas]).toEqual([1, 1]);
    });

    it('given the last step at 100, then stable scales to zero', () => {
      const out = renderManifests(canary([{ slot: 'stable', weight: 0, revision: OLD_REVISION }, { slot: 'canary', weight: 100 }]), { previous });
      expect([yamlOf(out, 'deployment-stable.yaml').spec.replicas, yamlOf(out, 'deployment-canary.yaml').spec.replicas]).toEqual([0, 10]);
    });

    it('once promoted (this release in stable), then the canary slot scales to zero with the same release', () => {
      const out = renderManifests(canary([{ slot: 'stable', weight: 100 }]), { previous });
      const stable = yamlOf(out, 'deployment-stable.yaml');
      const canaryDeployment = yamlOf(out, 'deployment-canary.yaml');
      expect([stable.spec.replicas, canaryDeployment.spec.replicas]).toEqual([10, 0]);
      expect(canaryDeployment.spec.template.spec.containers[0].image).toBe(pinned);
      expect(workloadOf(out).slot).toBe('stable');
    });

    it('given no previous release, then only the canary Deployment is rendered and stable is left as it is', () => {
      expect(names(renderManifests(tenPercent)).filter((n) => n.startsWith('deployment'))).toEqual(['deployment-canary.yaml']);
    });
  });

});
