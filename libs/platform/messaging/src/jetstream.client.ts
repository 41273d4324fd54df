import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNames, Envelope } from '@delivery/contracts';
import { BusPublisher } from './bus-publisher';

// The Nest client side of the transport: `client.emit(type, envelope)` publishes through BusPublisher.
// The bus is asynchronous: commands are answered by events, so request/response (`send`) is refused.
export class JetStreamClientProxy extends ClientProxy {
  private readonly publisher: BusPublisher;

  constructor(connection: NatsConnection, names: BusNames) {
    super();
    this.publisher = new BusPublisher(jetstream(connection), names);
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  unwrap<T>(): T {
    return this.publisher as T;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const envelope = packet.data as Envelope;
    if (envelope?.type !== packet.pattern) throw new Error(`emit("${String(packet.pattern)}") was given a ${String(envelope?.type)} envelope`);
    return (await this.publisher.publish(envelope)) as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new Error('the platform bus has no request/response: publish a command and wait for its event'), isDisposed: true });
    return () => undefined;
  }
}
