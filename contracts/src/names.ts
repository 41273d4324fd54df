import { contexts, services, isServiceName, type ContextName, type ServiceName } from './contexts';
import type { MessageDefinition } from './message';

// The one resolver for every subject, stream and durable name (DESIGN §3). The namespace is `devops` in every
// deployment; tests use their own so that runs sharing one NATS server never see each other's messages.
//   commands      <ns>.<tenant>.cmd.<service>.<Type>        stream <NS>_CMD_<CONTEXT>
//   events        <ns>.<tenant>.evt.<context>.<Type>        stream <NS>_EVT_<CONTEXT>
//   dead letters  <ns>.dlq.<service>.<Type>                 stream <NS>_DLQ
export const DEFAULT_NAMESPACE = 'devops';
const TOKEN = /^[a-z][a-z0-9]{0,31}$/;

export interface ParsedSubject {
  tenantId: string;
  kind: 'command' | 'event';
  /** the service for commands, the context for events */
  owner: string;
  type: string;
}

export class BusNames {
  readonly namespace: string;

  constructor(namespace: string = DEFAULT_NAMESPACE) {
    if (!TOKEN.test(namespace)) throw new Error(`bus namespace "${namespace}" must match ${TOKEN}`);
    this.namespace = namespace;
  }

  commandSubject(tenantId: string, service: ServiceName, type: string): string {
    return `${this.namespace}.${tenantId}.cmd.${service}.${type}`;
  }

  eventSubject(tenantId: string, context: ContextName, type: string): string {
    return `${this.namespace}.${tenantId}.evt.${context}.${type}`;
  }

  subjectFor(definition: MessageDefinition, tenantId: string): string {
    return definition.kind === 'command'
      ? this.commandSubject(tenantId, definition.service, definition.type)
      : this.eventSubject(tenantId, definition.context, definition.type);
  }

  deadLetterSubject(service: ServiceName | string, type: string): string {
    return `${this.namespace}.dlq.${service}.${type}`;
  }

  /** Every command for one service, any tenant. */
  commandFilter(service: ServiceName): string {
    return `${this.namespace}.*.cmd.${service}.>`;
  }

  /** One event type (or every event of a context with type '>'), any tenant. */
  eventFilter(context: ContextName, type = '>'): string {
    return `${this.namespace}.*.evt.${context}.${type}`;
  }

  // Exactly four tokens, never `>`: a five-token command subject of a tenant called "dlq" must not overlap it.
  deadLetterFilter(service = '*', type = '*'): string {
    return `${this.namespace}.dlq.${service}.${type}`;
  }

  commandStream(context: ContextName): string {
    return `${this.prefix()}_CMD_${streamToken(context)}`;
  }

  eventStream(context: ContextName): string {
    return `${this.prefix()}_EVT_${streamToken(context)}`;
  }

  deadLetterStream(): string {
    return `${this.prefix()}_DLQ`;
  }

  streamForSubject(subject: string): string {
    const parsed = this.parseSubject(subject);
    if (!parsed) throw new Error(`subject "${subject}" is not a ${this.namespace} command or event subject`);
    if (parsed.kind === 'event') return this.eventStream(parsed.owner as ContextName);
    return this.commandStream(services[parsed.owner as ServiceName]);
  }

  /** Captures nats-server's MAX_DELIVERIES advisories for the namespace's streams (see deploy/nats). */
  advisoryStream(): string {
    return `${this.prefix()}_ADVISORIES`;
  }

  maxDeliveriesAdvisoryFilter(stream: string): string {
    return `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.*`;
  }

  /** The service a durable belongs to: `<service>-commands`, `<service>-on-<Type>`, `<service>-<purpose>`. */
  serviceOfDurable(durable: string): string {
    const known = Object.keys(services).sort((a, b) => b.length - a.length).find((s) => durable === s || durable.startsWith(`${s}-`));
    return known ?? durable.replace(/-(commands|on-.+)$/, '');
  }

  /** Durable consumer names: `<service>-<purpose>`, e.g. `commit-commands`, `build-result-PipelineRunFinished`. */
  commandsDurable(service: ServiceName): string {
    return `${service}-commands`;
  }

  eventDurable(service: ServiceName, eventType: string): string {
    return `${service}-on-${eventType}`;
  }

  /** Every stream the namespace owns, for provisioning and for readers of everything (lineage). */
  allStreams(): string[] {
    return [...contexts.flatMap((c) => [this.commandStream(c), this.eventStream(c)]), this.deadLetterStream()];
  }

  parseSubject(subject: string): ParsedSubject | undefined {
    const parts = subject.split('.');
    if (parts.length !== 5 || parts[0] !== this.namespace) return undefined;
    const [, tenantId, marker, owner, type] = parts as [string, string, string, string, string];
    if (marker === 'cmd' && isServiceName(owner)) return { tenantId, kind: 'command', owner, type };
    if (marker === 'evt' && (contexts as readonly string[]).includes(owner)) return { tenantId, kind: 'event', owner, type };
    return undefined;
  }

  private prefix(): string {
    return this.namespace.toUpperCase();
  }
}

function streamToken(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}
