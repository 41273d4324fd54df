import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { allDefinitions, type Envelope } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { envelopeEntry } from './lineage-entry';
import { LineageRepository } from './lineage.repository';

// Every message type of the catalogue, on every stream of the namespace (the `ops-lineage` durables): one
// handler records each envelope. Invalid ones are skipped by the binding; their owners dead-letter them.
export const LINEAGE_TYPES = allDefinitions.map((definition) => definition.type);

@Controller()
export class LineageHandler {
  constructor(private readonly repository: LineageRepository) {}

  @EventPattern(LINEAGE_TYPES)
  async record(@Payload() envelope: Envelope, @Ctx() context: JetStreamContext): Promise<void> {
    const msg = context.getMessage();
    await this.repository.record(envelopeEntry(envelope, { subject: msg.subject, stream: msg.info.stream, seq: msg.seq }));
  }
}
