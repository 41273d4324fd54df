import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// OpenAPI shapes of the lineage endpoints (Studio's trace view is generated from them).
export class ActorDto {
  @ApiProperty({ enum: ['agent', 'user', 'service'] })
  kind!: 'agent' | 'user' | 'service';

  @ApiProperty()
  id!: string;
}

export class DeadLetterErrorDto {
  @ApiProperty({ example: 'schema' })
  code!: string;

  @ApiProperty()
  message!: string;
}

export class DeadLetterDetailsDto {
  @ApiProperty({ description: 'sequence in the dead-letter stream: what /dead-letters/{seq} and `npm run dlq` take' })
  seq!: number;

  @ApiProperty({ type: String, nullable: true })
  envelopeId!: string | null;

  @ApiProperty({ type: DeadLetterErrorDto })
  error!: DeadLetterErrorDto;

  @ApiProperty({ description: 'the service whose consumer gave up' })
  service!: string;

  @ApiProperty()
  consumer!: string;

  @ApiProperty()
  deliveries!: number;

  @ApiProperty()
  originalSubject!: string;

  @ApiProperty()
  originalStream!: string;

  @ApiProperty()
  originalSeq!: number;
}

export class LineageEntryDto {
  @ApiProperty({ description: 'the envelope id; for a dead letter, an id of its own' })
  id!: string;

  @ApiProperty({ enum: ['command', 'event', 'dead-letter'] })
  kind!: string;

  @ApiProperty({ example: 'CreateCommit' })
  type!: string;

  @ApiProperty()
  source!: string;

  @ApiProperty()
  traceId!: string;

  @ApiProperty()
  tenantId!: string;

  @ApiProperty({ type: String, nullable: true })
  projectId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'id of the message that caused this one' })
  causationId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'id of the causing entry when it is part of this story' })
  causedBy!: string | null;

  @ApiProperty({ type: String, nullable: true })
  correlationId!: string | null;

  @ApiProperty({ type: ActorDto, nullable: true })
  actor!: ActorDto | null;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({ format: 'date-time' })
  recordedAt!: string;

  @ApiProperty()
  subject!: string;

  @ApiProperty()
  stream!: string;

  @ApiProperty()
  streamSeq!: number;

  @ApiProperty({ description: 'the envelope payload (for a dead letter: of the failed envelope, when readable)', nullable: true, type: Object })
  payload!: unknown;

  @ApiPropertyOptional({ type: DeadLetterDetailsDto, nullable: true })
  deadLetter!: DeadLetterDetailsDto | null;
}

export class TraceStoryDto {
  @ApiProperty()
  traceId!: string;

  @ApiProperty({ type: [LineageEntryDto] })
  entries!: LineageEntryDto[];

  @ApiProperty({ description: 'true when the story has more entries than one response carries' })
  truncated!: boolean;
}

export class CorrelationStoryDto {
  @ApiProperty()
  correlationId!: string;

  @ApiProperty({ type: [LineageEntryDto] })
  entries!: LineageEntryDto[];

  @ApiProperty()
  truncated!: boolean;
}
