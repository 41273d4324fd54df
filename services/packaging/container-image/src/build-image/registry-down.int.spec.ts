import type { Envelope, PayloadOf } from '@delivery/contracts';
import { eventually, waitForDeadLetters } from '@delivery/testing';
import { answerTo, freePort, npmPack, startImageHarness, type BuildFailedEvent, type ImageHarness } from '../container-image.testing';

// A registry that does not answer: the client retries inside one delivery, the transport naks and redelivers,
// and the last delivery answers ContainerImageBuildFailed (retryable) and dead-letters the command for a replay.
describe('BuildContainerImage with the registry down', () => {
  let h: ImageHarness;
  let host: string;

  beforeAll(async () => {
    const port = await freePort(); // nothing listens there
    host = `127.0.0.1:${port}`;
    h = await startImageHarness({ registries: { [host]: { url: `http://${host}`, kind: 'distribution' } }, defaultRegistry: host, maxDeliveries: 5 }, 'imagedown');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('retries, then answers with a retryable failure and dead-letters the command', async () => {
    const tarball = await h.artifact('app.tgz', 'npm-package', await npmPack(h.dir, 'down-app'));
    const buildId = await h.buildCompleted();
    const payload: PayloadOf<'BuildContainerImage'> = { buildId, repository: 'shop/down', tags: ['1'], layers: [tarball], config: {} };
    const sent = await h.fx.send('BuildContainerImage', payload);

    const [letter] = await waitForDeadLetters<{ envelope: Envelope; deliveries: number; error: { code: string; message: string } }>(h.fx.bus, 1, (l) => l.envelope.id === sent.id, 30_000);
    expect(letter!.deliveries).toBe(5);
    expect(letter!.error.code).toBe('image.registry-unavailable');
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error).toMatchObject({ code: 'image.registry-unavailable', retryable: true });
    expect(failed.payload.error.message).toMatch(/gave up after 5 deliveries: registry 127\.0\.0\.1:\d+ unavailable: .* failed 2 times/);
    // exactly one answer, and nothing recorded as pushed
    await eventually(async () => ((await h.service.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = 'ContainerImageBuildFailed'`)) as Array<{ n: number }>)[0]?.n === 1 || undefined, 'one failure event');
    expect(await h.service.dataSource.query(`SELECT * FROM container_images`)).toEqual([]);
  });
});
