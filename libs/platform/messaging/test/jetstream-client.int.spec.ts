import { lastValueFrom } from 'rxjs';
import type { Envelope } from '@delivery/contracts';
import { createTestBus, waitForMessages, type TestBus } from '@delivery/testing';
import { createEnvelope, JetStreamClientProxy } from '../src';

describe('JetStreamClientProxy (Nest client side, real NATS)', () => {
  let bus: TestBus;
  let client: JetStreamClientProxy;
  beforeAll(async () => {
    bus = await createTestBus();
    client = new JetStreamClientProxy(bus.nc, bus.names);
  });
  afterAll(() => bus.close());

  const command = () => createEnvelope('CreateCommit', { repositoryId: 'repo-1', branch: 'main', message: 'via Nest' }, { source: 'studio', tenantId: 'acme', projectId: 'shop' });

  it('emit(type, envelope) publishes the validated envelope on its subject, deduplicated by id', async () => {
    const envelope = command();
    await lastValueFrom(client.emit('CreateCommit', envelope));
    await lastValueFrom(client.emit('CreateCommit', envelope));
    const [received] = await waitForMessages<Envelope>(bus, { stream: bus.names.commandStream('source-control'), subject: bus.names.commandSubject('acme', 'commit', 'CreateCommit') });
    expect(received).toEqual(envelope);
    expect((await bus.jsm.streams.info(bus.names.commandStream('source-control'))).state.messages).toBe(1);
  });

  it('refuses an envelope of another type, an invalid one, and request/response', async () => {
    await expect(lastValueFrom(client.emit('ApproveRelease', command()))).rejects.toThrow(/was given a CreateCommit envelope/);
    await expect(lastValueFrom(client.emit('CreateCommit', { ...command(), payload: { repositoryId: 'repo-1' } }))).rejects.toThrow(/CreateCommit/);
    await expect(lastValueFrom(client.send('CreateCommit', command()))).rejects.toThrow(/no request\/response/);
  });
});
