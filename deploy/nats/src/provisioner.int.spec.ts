import { createTestBus, type TestBus } from '@delivery/testing';
import { declareTopology } from './topology';
import { provisionTopology } from './provisioner';

describe('NATS provisioning (real nats-server)', () => {
  let bus: TestBus;
  beforeAll(async () => {
    bus = await createTestBus();
  });
  afterAll(() => bus.close());

  it('declares a command and an event stream per context, the dead-letter stream, and a lineage consumer on each', () => {
    const { streams, consumers } = bus.topology;
    expect(streams.map((s) => s.name)).toEqual(expect.arrayContaining([bus.names.commandStream('release'), bus.names.eventStream('gitops'), bus.names.deadLetterStream()]));
    expect(consumers.filter((c) => c.durable === 'ops-lineage')).toHaveLength(streams.length - 1);
    expect(streams.at(-1)?.subjects).toContain(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${bus.names.commandStream('release')}.*`);
    expect(streams.at(-1)?.subjects).not.toContain(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${bus.names.deadLetterStream()}.*`);
    expect(consumers.find((c) => c.durable === 'commit-commands')?.filterSubject).toBe(`${bus.names.namespace}.*.cmd.commit.>`);
  });

  it('is idempotent: a second run changes nothing and reports no drift', async () => {
    const report = await provisionTopology(bus.jsm, bus.topology, { namespacePrefix: `${bus.names.namespace.toUpperCase()}_` });
    expect(report.created).toEqual([]);
    expect(report.updated).toEqual([]);
    expect(report.drift).toEqual([]);
    expect(report.undeclared).toEqual([]);
    expect(report.unchanged).toHaveLength(bus.topology.streams.length + bus.topology.consumers.length);
  });

  it('reports drift between declared and actual configuration, and repairs it when applying', async () => {
    const stream = bus.names.deadLetterStream();
    const info = await bus.jsm.streams.info(stream);
    await bus.jsm.streams.update(stream, { ...info.config, max_age: 3600 * 1e9 });
    await bus.jsm.consumers.update(bus.names.commandStream('release'), 'release-commands', { max_deliver: 2 });
    await bus.jsm.consumers.add(bus.names.deadLetterStream(), { durable_name: 'someone-elses', ack_policy: 'explicit' as never });

    const check = await provisionTopology(bus.jsm, bus.topology, { apply: false, namespacePrefix: `${bus.names.namespace.toUpperCase()}_` });
    expect(check.drift).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'stream', name: stream, field: 'max_age', actual: 3600 * 1e9 }),
        expect.objectContaining({ kind: 'consumer', field: 'max_deliver', declared: 5, actual: 2 }),
      ]),
    );
    expect(check.undeclared).toEqual([`consumer ${stream}/someone-elses`]);
    expect((await bus.jsm.streams.info(stream)).config.max_age).toBe(3600 * 1e9);

    const applied = await provisionTopology(bus.jsm, bus.topology);
    expect(applied.updated).toEqual(expect.arrayContaining([`stream ${stream}`, `consumer ${bus.names.commandStream('release')}/release-commands`]));
    const again = await provisionTopology(bus.jsm, bus.topology);
    expect(again.drift).toEqual([]);
  });

  it('declares R3 for a cluster', () => {
    expect(declareTopology(bus.names, { replicas: 3 }).streams.every((s) => s.replicas === 3)).toBe(true);
  });
});
