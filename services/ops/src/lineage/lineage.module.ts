import { Module } from '@nestjs/common';
import { DeadLetterLineageConsumer } from './dead-letter-lineage.consumer';
import { LineageController } from './lineage.controller';
import { LineageHandler } from './lineage.handler';
import { LineageRepository } from './lineage.repository';

@Module({
  controllers: [LineageController, LineageHandler],
  providers: [LineageRepository, DeadLetterLineageConsumer],
})
export class LineageModule {}
