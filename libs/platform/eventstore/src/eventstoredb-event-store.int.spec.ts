import { EventStoreDbEventStore } from './eventstoredb-event-store.adapter';
import { describeEventStoreConformance } from './testing/event-store.conformance';

// DESIGN §4/§5: the same suite as Postgres, against a real EventStoreDB/KurrentDB when one is configured
// (e.g. EVENTSTORE_URL=esdb://127.0.0.1:2113?tls=false with `docker compose --profile kurrentdb up`).
const url = process.env.EVENTSTORE_URL;

if (url) {
  describeEventStoreConformance(`EventStoreDbEventStore conformance (${url})`, async () => EventStoreDbEventStore.fromConnectionString(url));
} else {
  // Jest lists no names for a file whose tests are all skipped, so say it out loud as well.
  process.stderr.write('EventStoreDbEventStore conformance skipped: EVENTSTORE_URL not set (e.g. esdb://127.0.0.1:2113?tls=false)\n');
  describe.skip('EventStoreDbEventStore conformance (skipped: EVENTSTORE_URL not set)', () => {
    it('runs the event store conformance suite against EventStoreDB', () => undefined);
  });
}
