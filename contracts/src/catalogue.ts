import type { Static } from '@sinclair/typebox';
import type { MessageDefinition } from './message';
import { sourceControlMessages } from './catalogue/source-control.messages';
import { operationsMessages } from './catalogue/operations.messages';

// The one typed map type -> definition (and so type -> payload) for every message on the bus.
const definitions = [...sourceControlMessages, ...operationsMessages] as const;

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
