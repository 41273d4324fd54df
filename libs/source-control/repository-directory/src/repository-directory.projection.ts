import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { handleOnce } from '@delivery/persistence';
import { RepositoryDirectory } from './repository-directory';

// Keeps this service's copy of the directory from the owners' events (deploy/nats subscribes the service).
@Controller()
export class RepositoryProjection {
  constructor(
    private readonly dataSource: DataSource,
    private readonly directory: RepositoryDirectory,
  ) {}

  @EventPattern('RepositoryProvisioned')
  async provisioned(@Payload() event: Envelope<PayloadOf<'RepositoryProvisioned'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { repositoryId, name, defaultBranch, purpose, provider, cloneUrl } = event.payload;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, (manager) =>
      this.directory.record(manager, { repositoryId, tenantId: event.tenantId, projectId: event.projectId, name, defaultBranch, purpose, provider, cloneUrl }),
    );
  }
}

@Controller()
export class BranchPolicyProjection {
  constructor(
    private readonly dataSource: DataSource,
    private readonly directory: RepositoryDirectory,
  ) {}

  @EventPattern('BranchPolicySet')
  async policySet(@Payload() event: Envelope<PayloadOf<'BranchPolicySet'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { repositoryId, branch, policy, version } = event.payload;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, (manager) =>
      this.directory.recordPolicy(manager, { repositoryId, branch, tenantId: event.tenantId, projectId: event.projectId, policy, version }),
    );
  }
}
