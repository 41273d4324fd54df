import { contextOf, contexts, definitionOf, serviceNames, servicesIn, type BusNames, type ServiceName } from '@delivery/contracts';
import { subscriptions } from './subscriptions';

// Every stream and consumer of the platform, declared once (DESIGN §3). Services only bind to these.
export interface StreamSpec {
  name: string;
  description: string;
  subjects: string[];
  maxAgeSeconds: number;
  duplicateWindowSeconds: number;
  maxMsgSize: number;
  replicas: number;
}

export interface ConsumerSpec {
  stream: string;
  durable: string;
  description: string;
  /** '' for the whole stream */
  filterSubject: string;
  ackWaitSeconds: number;
  maxDeliver: number;
  maxAckPending: number;
}

export interface Topology {
  streams: StreamSpec[];
  consumers: ConsumerSpec[];
}

export interface TopologyOptions {
  /** 1 locally, 3 in a cluster */
  replicas?: number;
  /** deliveries before a failing message goes to the dead-letter stream */
  maxDeliver?: number;
  ackWaitSeconds?: number;
}

const DAY = 24 * 3600;
export const LINEAGE_DURABLE = 'ops-lineage';
export const SWEEPER_DURABLE = 'ops-dead-letter-sweeper';

export function declareTopology(names: BusNames, options: TopologyOptions = {}): Topology {
  const replicas = options.replicas ?? 1;
  const consumerDefaults = { ackWaitSeconds: options.ackWaitSeconds ?? 30, maxDeliver: options.maxDeliver ?? 5, maxAckPending: 1_000 };
  const base = {
    // Covers the relay's retry backoff (capped at 30 s) many times over: a republished batch is always deduplicated.
    duplicateWindowSeconds: 10 * 60,
    maxMsgSize: 1024 * 1024,
    replicas,
  };
  const streams: StreamSpec[] = [];
  const consumers: ConsumerSpec[] = [];

  for (const context of contexts) {
    const owners = servicesIn(context);
    streams.push({
      ...base,
      name: names.commandStream(context),
      description: `commands handled by the ${context} context`,
      subjects: owners.map((service) => names.commandFilter(service)),
      maxAgeSeconds: 7 * DAY,
    });
    streams.push({
      ...base,
      name: names.eventStream(context),
      description: `events emitted by the ${context} context`,
      subjects: [names.eventFilter(context)],
      maxAgeSeconds: 30 * DAY,
    });
  }
  streams.push({
    ...base,
    name: names.deadLetterStream(),
    description: 'messages the platform could not handle, with the reason; replay or discard them through ops',
    subjects: [names.deadLetterFilter()],
    maxAgeSeconds: 90 * DAY,
  });

  // nats-server gives up on a message silently when its last delivery times out; its advisory is kept here
  // and the ops sweeper turns it into a dead letter. Not for the dead-letter stream itself: a dead letter of a
  // dead letter could loop.
  const advisorySource = [...streams];
  const swept = streams.filter((stream) => stream.name !== names.deadLetterStream());
  streams.push({
    ...base,
    name: names.advisoryStream(),
    description: 'MAX_DELIVERIES advisories of the namespace streams, swept into dead letters by ops',
    subjects: swept.map((stream) => names.maxDeliveriesAdvisoryFilter(stream.name)),
    maxAgeSeconds: 30 * DAY,
  });
  consumers.push({
    ...consumerDefaults,
    stream: names.advisoryStream(),
    durable: SWEEPER_DURABLE,
    description: 'ops: dead-letters messages whose last delivery was never settled',
    filterSubject: '',
  });

  for (const service of serviceNames) {
    consumers.push({
      ...consumerDefaults,
      stream: names.commandStream(contextOf(service)),
      durable: names.commandsDurable(service),
      description: `${service}: its commands`,
      filterSubject: names.commandFilter(service),
    });
  }
  for (const { service, events } of subscriptions) {
    for (const type of events) {
      const definition = definitionOf(type);
      if (definition?.kind !== 'event') throw new Error(`subscription of ${service} to ${type}: not an event`);
      consumers.push({
        ...consumerDefaults,
        stream: names.eventStream(definition.context),
        durable: names.eventDurable(service, type),
        description: `${service}: reacts to ${type}`,
        filterSubject: names.eventFilter(definition.context, type),
      });
    }
  }
  // The lineage read model indexes every envelope (and every dead letter) by traceId.
  for (const stream of advisorySource) {
    consumers.push({
      ...consumerDefaults,
      maxAckPending: 10_000,
      stream: stream.name,
      durable: LINEAGE_DURABLE,
      description: 'ops: lineage read model',
      // No filter: every message of the stream (a command stream has one subject per service).
      filterSubject: '',
    });
  }
  return { streams, consumers };
}

/** The durables one service binds to: its commands and its subscriptions. */
export function bindingsOf(topology: Topology, service: ServiceName, names: BusNames): Array<{ stream: string; durable: string }> {
  const own = new Set([names.commandsDurable(service), ...subscriptions.filter((s) => s.service === service).flatMap((s) => s.events.map((e) => names.eventDurable(service, e)))]);
  return topology.consumers.filter((c) => own.has(c.durable)).map(({ stream, durable }) => ({ stream, durable }));
}
