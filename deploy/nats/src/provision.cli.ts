import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusNames } from '@delivery/contracts';
import { declareTopology } from './topology';
import { provisionTopology } from './provisioner';

// npm run nats:provision [-- --check]
// Creates or updates every declared stream and consumer; --check only reports drift (exit 1 when there is some).
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const names = new BusNames(process.env.BUS_NAMESPACE);
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: 'nats-provision' });
  try {
    const jsm = await jetstreamManager(nc);
    const topology = declareTopology(names, { replicas: Number(process.env.NATS_REPLICAS ?? 1) });
    const report = await provisionTopology(jsm, topology, { apply: !check, namespacePrefix: `${names.namespace.toUpperCase()}_` });
    for (const d of report.drift) console.log(`drift   ${d.kind} ${d.name} ${d.field}: declared ${JSON.stringify(d.declared)}, actual ${JSON.stringify(d.actual)}`);
    for (const u of report.undeclared) console.log(`extra   ${u} (not declared in deploy/nats; left alone)`);
    console.log(
      `${check ? 'checked' : 'provisioned'} ${topology.streams.length} streams and ${topology.consumers.length} consumers in namespace "${names.namespace}": ` +
        `${report.created.length} created, ${report.updated.length} updated, ${report.unchanged.length} unchanged, ${report.drift.length} drifted`,
    );
    if (check && report.drift.length) process.exitCode = 1;
  } finally {
    await nc.close();
  }
}

main().catch((error: unknown) => {
  console.error(`nats:provision failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
