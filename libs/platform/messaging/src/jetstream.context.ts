import { BaseRpcContext } from '@nestjs/microservices';
import type { JsMsg } from '@nats-io/jetstream';

type JetStreamContextArgs = [JsMsg, string];

// The second argument of every handler: the raw message, the durable consumer (the inbox key) and the delivery count.
export class JetStreamContext extends BaseRpcContext<JetStreamContextArgs> {
  getMessage(): JsMsg {
    return this.args[0];
  }

  /** The durable consumer name: use it as the inbox `consumer` so dedupe is per subscription. */
  getConsumer(): string {
    return this.args[1];
  }

  getDeliveries(): number {
    return this.args[0].info.deliveryCount;
  }
}
