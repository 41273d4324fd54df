import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { BusNames, Envelope } from '@delivery/contracts';
import { declareTopology, deleteNamespaceStreams, provisionTopology, type Topology, type TopologyOptions } from '@delivery/nats-topology';
import { NATS_URL, testBusNames } from './namespace';

export interface TestBus {
  names: BusNames;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  topology: Topology;
  /** deletes the namespace's streams and closes the connection */
  close(): Promise<void>;
}

// The real NATS server, with the declared topology provisioned in a namespace of this test file's own.
export async function createTestBus(options: TopologyOptions = {}): Promise<TestBus> {
  const names = testBusNames();
  const nc = await connect({ servers: NATS_URL, name: `test-${names.namespace}` });
  const jsm = await jetstreamManager(nc);
  const topology = declareTopology(names, options);
  await provisionTopology(jsm, topology);
  return {
    names,
    nc,
    js: jetstream(nc),
    jsm,
    topology,
    async close() {
      await deleteNamespaceStreams(jsm, `${names.namespace.toUpperCase()}_`).catch(() => undefined);
      // The service registry bucket (service-kit registerService) of services bootstrapped in this namespace.
      await jsm.streams.delete(`KV_${names.namespace}_services`).catch(() => undefined);
      await nc.close();
    },
  };
}

export interface WaitOptions<T> {
  /** a stream of the namespace and a filter subject inside it */
  stream: string;
  subject: string;
  predicate?: (value: T) => boolean;
  timeoutMs?: number;
  count?: number;
}

// Reads the stream from its beginning with an ordered consumer, so a message published before the call is found too.
export async function waitForMessages<T = Envelope>(bus: TestBus, options: WaitOptions<T>): Promise<T[]> {
  const { predicate = () => true, timeoutMs = 10_000, count = 1 } = options;
  const consumer = await bus.js.consumers.get(options.stream, { filter_subjects: options.subject, deliver_policy: DeliverPolicy.All });
  const found: T[] = [];
  const messages = await consumer.consume();
  const timer = setTimeout(() => messages.stop(), timeoutMs);
  try {
    for await (const msg of messages) {
      const value = msg.json<T>();
      if (predicate(value)) found.push(value);
      if (found.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    messages.stop();
  }
  if (found.length < count) throw new Error(`waited ${timeoutMs} ms on ${options.subject}: found ${found.length} of ${count} matching messages`);
  return found;
}

export function waitForEvent<T = Envelope>(bus: TestBus, context: Parameters<BusNames['eventStream']>[0], type: string, predicate?: (value: T) => boolean, timeoutMs?: number): Promise<T> {
  return waitForMessages<T>(bus, { stream: bus.names.eventStream(context), subject: bus.names.eventFilter(context, type), predicate, timeoutMs }).then((found) => found[0]!);
}

export async function waitForDeadLetters<T = unknown>(bus: TestBus, count: number, predicate?: (value: T) => boolean, timeoutMs?: number): Promise<T[]> {
  return waitForMessages<T>(bus, { stream: bus.names.deadLetterStream(), subject: bus.names.deadLetterFilter(), predicate, timeoutMs, count });
}
