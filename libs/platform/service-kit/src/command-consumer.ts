import { Controller, Inject, type Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { CommandType, Envelope, PayloadOf } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { busOrigin, CommandRunner, type CommandHandler } from './command-runner';

/**
 * The bus door of a command: a controller whose @EventPattern hands the envelope to the same handler the REST door
 * uses, through the CommandRunner. List it in the module's controllers and the handler in its providers.
 */
export function commandConsumer<T extends CommandType>(type: T, handler: Type<CommandHandler<T, unknown>>): Type<unknown> {
  @Controller()
  class Consumer {
    constructor(
      @Inject(CommandRunner) private readonly runner: CommandRunner,
      @Inject(handler) private readonly commandHandler: CommandHandler<T, unknown>,
    ) {}

    @EventPattern(type)
    async handle(@Payload() command: Envelope<PayloadOf<T>, T>, @Ctx() ctx: JetStreamContext): Promise<void> {
      await this.runner.run(command, busOrigin(ctx), this.commandHandler);
    }
  }
  Object.defineProperty(Consumer, 'name', { value: `${type}Consumer` });
  return Consumer;
}
