import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DeadLetterErrorDto } from '../lineage/lineage.dto';

// OpenAPI shapes of the dead-letter API (DESIGN §3): list / show / replay / discard.
export class DeadLetterSummaryDto {
  @ApiProperty({ description: 'sequence in the dead-letter stream' })
  seq!: number;

  @ApiProperty({ example: 'devops.dlq.commit.CreateCommit' })
  subject!: string;

  @ApiProperty({ description: 'the service whose consumer gave up' })
  service!: string;

  @ApiProperty({ example: 'CreateCommit' })
  type!: string;

  @ApiProperty({ type: String, nullable: true })
  envelopeId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  traceId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  tenantId!: string | null;

  @ApiProperty({ type: DeadLetterErrorDto })
  error!: DeadLetterErrorDto;

  @ApiProperty()
  deliveries!: number;

  @ApiProperty()
  consumer!: string;

  @ApiProperty({ format: 'date-time' })
  deadLetteredAt!: string;
}

export class DeadLetterListDto {
  @ApiProperty({ type: [DeadLetterSummaryDto] })
  deadLetters!: DeadLetterSummaryDto[];
}

export class DeadLetterRecordDto {
  @ApiProperty({ type: Object, nullable: true, description: 'the envelope as received, when it parsed as a JSON object (possibly invalid)' })
  envelope!: object | null;

  @ApiProperty({ type: String, nullable: true, description: 'the original bytes, base64, when they were not a JSON object' })
  rawBase64!: string | null;

  @ApiProperty()
  rawBytes!: number;

  @ApiProperty({ type: DeadLetterErrorDto })
  error!: DeadLetterErrorDto;

  @ApiProperty()
  deliveries!: number;

  @ApiProperty()
  service!: string;

  @ApiProperty()
  consumer!: string;

  @ApiProperty({ description: 'stream of the original message' })
  stream!: string;

  @ApiProperty()
  streamSeq!: number;

  @ApiProperty({ description: 'subject of the original message (the replay target)' })
  subject!: string;

  @ApiProperty({ format: 'date-time' })
  deadLetteredAt!: string;
}

export class DeadLetterDto extends DeadLetterSummaryDto {
  @ApiProperty({ type: DeadLetterRecordDto })
  record!: DeadLetterRecordDto;
}

export class DiscardDeadLetterBody {
  @ApiProperty({ description: 'why: recorded in the audit event with the operator', maxLength: 2000 })
  reason!: string;
}

export class ReplayDeadLetterBody extends DiscardDeadLetterBody {
  @ApiPropertyOptional({
    type: Object,
    description: 'a corrected envelope to publish instead of the stored one; it must keep the id and traceId',
  })
  envelope?: Record<string, unknown>;
}

export class ReplayResultDto {
  @ApiProperty()
  seq!: number;

  @ApiProperty({ description: 'the subject the envelope was republished on' })
  subject!: string;

  @ApiProperty()
  envelopeId!: string;

  @ApiProperty()
  traceId!: string;

  @ApiProperty({ description: 'a corrected envelope was replayed' })
  edited!: boolean;
}

export class DiscardResultDto {
  @ApiProperty()
  seq!: number;

  @ApiProperty()
  discarded!: boolean;
}
