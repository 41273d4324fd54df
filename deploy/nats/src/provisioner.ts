import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { ConsumerSpec, StreamSpec, Topology } from './topology';

export interface Drift {
  kind: 'stream' | 'consumer';
  name: string;
  field: string;
  declared: unknown;
  actual: unknown;
}

export interface ProvisionReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** differences between declared and actual configuration found before applying (or left, with apply: false) */
  drift: Drift[];
  /** streams or consumers in the namespace that nothing declares (reported, never deleted) */
  undeclared: string[];
}

const NS = 1_000_000_000;

function streamConfig(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    description: spec.description,
    subjects: spec.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: spec.maxAgeSeconds * NS,
    duplicate_window: spec.duplicateWindowSeconds * NS,
    max_msg_size: spec.maxMsgSize,
    num_replicas: spec.replicas,
  };
}

function consumerConfig(spec: ConsumerSpec): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: spec.durable,
    description: spec.description,
    ...(spec.filterSubject ? { filter_subject: spec.filterSubject } : {}),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: spec.ackWaitSeconds * NS,
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
  };
}

// The fields we declare and can compare; the server fills in the rest with its defaults.
const STREAM_FIELDS = ['subjects', 'retention', 'storage', 'discard', 'max_age', 'duplicate_window', 'max_msg_size', 'num_replicas', 'description'] as const;
const CONSUMER_FIELDS = ['filter_subject', 'ack_policy', 'deliver_policy', 'ack_wait', 'max_deliver', 'max_ack_pending', 'description'] as const;

function diff(kind: Drift['kind'], name: string, declared: Record<string, unknown>, actual: Record<string, unknown>, fields: readonly string[]): Drift[] {
  return fields
    .filter((field) => JSON.stringify(declared[field] ?? null) !== JSON.stringify(normalize(field, actual[field])))
    .map((field) => ({ kind, name, field, declared: declared[field] ?? null, actual: actual[field] ?? null }));
}

function normalize(field: string, value: unknown): unknown {
  if (field === 'filter_subject' && value === '') return null;
  return value ?? null;
}

/**
 * Idempotent: creates what is missing, updates what drifted (apply), and reports every difference it found.
 * With apply: false it only reports (the `--check` of the provisioning command).
 */
export async function provisionTopology(jsm: JetStreamManager, topology: Topology, options: { apply?: boolean; namespacePrefix?: string } = {}): Promise<ProvisionReport> {
  const apply = options.apply ?? true;
  const report: ProvisionReport = { created: [], updated: [], unchanged: [], drift: [], undeclared: [] };

  for (const spec of topology.streams) {
    const declared = streamConfig(spec);
    const info = await jsm.streams.info(spec.name).catch(() => null);
    if (!info) {
      report.drift.push({ kind: 'stream', name: spec.name, field: '(missing)', declared: spec.name, actual: null });
      if (apply) {
        await jsm.streams.add(declared);
        report.created.push(`stream ${spec.name}`);
      }
      continue;
    }
    const drift = diff('stream', spec.name, declared, info.config as unknown as Record<string, unknown>, STREAM_FIELDS);
    report.drift.push(...drift);
    if (drift.length && apply) {
      await jsm.streams.update(spec.name, declared);
      report.updated.push(`stream ${spec.name}`);
    } else if (!drift.length) report.unchanged.push(`stream ${spec.name}`);
  }

  for (const spec of topology.consumers) {
    const declared = consumerConfig(spec);
    const label = `consumer ${spec.stream}/${spec.durable}`;
    const info = await jsm.consumers.info(spec.stream, spec.durable).catch(() => null);
    if (!info) {
      report.drift.push({ kind: 'consumer', name: `${spec.stream}/${spec.durable}`, field: '(missing)', declared: spec.durable, actual: null });
      if (apply) {
        await jsm.consumers.add(spec.stream, declared);
        report.created.push(label);
      }
      continue;
    }
    const drift = diff('consumer', `${spec.stream}/${spec.durable}`, declared, info.config as unknown as Record<string, unknown>, CONSUMER_FIELDS);
    report.drift.push(...drift);
    const immutable = drift.some((d) => d.field === 'deliver_policy' || d.field === 'ack_policy');
    if (drift.length && apply) {
      if (immutable) {
        // These cannot change in place; recreating resets the consumer's position, so an operator decides.
        throw new Error(`${label}: ${drift.map((d) => d.field).join(', ')} cannot be updated in place; delete the consumer deliberately and provision again`);
      }
      await jsm.consumers.update(spec.stream, spec.durable, declared);
      report.updated.push(label);
    } else if (!drift.length) report.unchanged.push(label);
  }

  if (options.namespacePrefix) {
    const declaredStreams = new Set(topology.streams.map((s) => s.name));
    const declaredConsumers = new Set(topology.consumers.map((c) => `${c.stream}/${c.durable}`));
    for await (const stream of jsm.streams.list()) {
      const name = stream.config.name;
      if (!name.startsWith(options.namespacePrefix)) continue;
      if (!declaredStreams.has(name)) {
        report.undeclared.push(`stream ${name}`);
        continue;
      }
      for await (const consumer of jsm.consumers.list(name)) {
        if (consumer.config.durable_name && !declaredConsumers.has(`${name}/${consumer.config.durable_name}`)) report.undeclared.push(`consumer ${name}/${consumer.config.durable_name}`);
      }
    }
  }
  return report;
}

export async function deleteNamespaceStreams(jsm: JetStreamManager, prefix: string): Promise<void> {
  const names: string[] = [];
  for await (const stream of jsm.streams.list()) if (stream.config.name.startsWith(prefix)) names.push(stream.config.name);
  await Promise.all(names.map((name) => jsm.streams.delete(name)));
}
