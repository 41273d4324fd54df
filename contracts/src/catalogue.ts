import type { Static } from '@sinclair/typebox';
import type { ContextName, ServiceName } from './contexts';
import type { CommandDefinition, EventDefinition, MessageDefinition } from './message';
import { sourceControlMessages } from './catalogue/source-control.messages';
import { pipelinesMessages } from './catalogue/pipelines.messages';
import { packagingMessages } from './catalogue/packaging.messages';
import { releaseMessages } from './catalogue/release.messages';
import { infrastructureMessages } from './catalogue/infrastructure.messages';
import { gitopsMessages } from './catalogue/gitops.messages';
import { operationsMessages } from './catalogue/operations.messages';

// The one typed map type -> definition (and so type -> payload) for every message on the bus.
const definitions = [
  ...sourceControlMessages,
  ...pipelinesMessages,
  ...packagingMessages,
  ...releaseMessages,
  ...infrastructureMessages,
  ...gitopsMessages,
  ...operationsMessages,
] as const;

type Definition = (typeof definitions)[number];
export type MessageType = Definition['type'];
export type CommandType = Extract<Definition, { kind: 'command' }>['type'];
export type EventType = Extract<Definition, { kind: 'event' }>['type'];
export type DefinitionOf<T extends MessageType> = Extract<Definition, { type: T }>;
export type PayloadOf<T extends MessageType> = Static<DefinitionOf<T>['payload']>;

export const catalogue = Object.fromEntries(definitions.map((d) => [d.type, d])) as unknown as {
  readonly [T in MessageType]: DefinitionOf<T> & MessageDefinition;
};

export const allDefinitions: readonly MessageDefinition[] = definitions;

// Sorted views, so that everything generated from them (streams, consumers, AsyncAPI) is stable.
const byType = (a: MessageDefinition, b: MessageDefinition) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);

export function commandsHandledBy(service: ServiceName): CommandDefinition[] {
  return allDefinitions.filter((d): d is CommandDefinition => d.kind === 'command' && d.service === service).sort(byType);
}

export function eventsEmittedBy(service: ServiceName): EventDefinition[] {
  return allDefinitions.filter((d): d is EventDefinition => d.kind === 'event' && d.service === service).sort(byType);
}

export function eventsOfContext(context: ContextName): EventDefinition[] {
  return allDefinitions.filter((d): d is EventDefinition => d.kind === 'event' && d.context === context).sort(byType);
}

export function isMessageType(value: string): value is MessageType {
  return Object.prototype.hasOwnProperty.call(catalogue, value);
}
