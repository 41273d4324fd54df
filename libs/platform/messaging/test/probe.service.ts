import { Controller, Inject, Module } from '@nestjs/common';
import { EventPattern, Payload, Ctx } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import { handleOnce, defineMigration } from '@delivery/persistence';
import { EVENT_STORE, type ServiceDefinition } from '@delivery/service-kit';
import { createEnvelope, IllegalStateError, JetStreamContext, toNewEvent } from '../src';

// A small service that exists only in the test suite (DESIGN: prove the backbone before the first context):
// it plays the commit service, handling CreateCommit with an inbox, one state row and one event, in one
// transaction. Its behaviour on special messages lets tests exercise every settlement path.
export const probeControl = { failUntilFixed: true, crashAfterCommit: process.env.PROBE_CRASH_AFTER_COMMIT === '1' };

export const probeMigration = defineMigration({
  name: 'CreateProbeCommits',
  timestamp: 1767225600200,
  up: (schema) => [
    `CREATE TABLE "${schema}".probe_commits (envelope_id uuid PRIMARY KEY, repository_id text NOT NULL, message text NOT NULL, deliveries int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  ],
  down: (schema) => [`DROP TABLE "${schema}".probe_commits`],
});

@Controller()
export class ProbeCommitHandler {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @EventPattern('CreateCommit')
  async createCommit(@Payload() envelope: Envelope<PayloadOf<'CreateCommit'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { message, repositoryId, branch } = envelope.payload;
    if (message.includes('[always-throws]') && probeControl.failUntilFixed) throw new Error(`probe handler broken for "${message}"`);
    // Hangs past ack_wait on every delivery (but ends, so shutdown does not wait forever).
    if (message.includes('[hangs]')) return new Promise((resolve) => setTimeout(resolve, 3_000));
    if (message.includes('[illegal]')) throw new IllegalStateError('probe-illegal', `repository ${repositoryId} is archived`);
    const outcome = await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: envelope.id }, async (manager) => {
      await manager.query(`INSERT INTO probe_commits (envelope_id, repository_id, message, deliveries) VALUES ($1, $2, $3, $4)`, [
        envelope.id,
        repositoryId,
        message,
        ctx.getDeliveries(),
      ]);
      const event = createEnvelope('CommitCreated', { repositoryId, branch, sha: envelope.id.replace(/-/g, '').padEnd(40, '0') }, { source: 'commit' });
      await this.store.append(`commit-${envelope.id}`, [toNewEvent(event)], 'no-stream', { transaction: manager });
    });
    // Crash-safety test: die after committing a message's effect and before the transport acks it.
    if (probeControl.crashAfterCommit && outcome.handled) process.kill(process.pid, 'SIGKILL');
  }
}

@Module({ controllers: [ProbeCommitHandler] })
export class ProbeModule {}

export const probeService: ServiceDefinition = {
  name: 'commit',
  module: ProbeModule,
  migrations: [probeMigration],
  auth: false,
  handleSignals: false,
};
