import type { TObject, Static } from '@sinclair/typebox';
import type { ContextName, ServiceName } from './contexts';

// A message definition is data: its type name, who handles or emits it, and the JSON Schema of its payload.
export interface CommandDefinition<T extends string = string, P extends TObject = TObject> {
  readonly kind: 'command';
  readonly type: T;
  /** The service that handles the command; its subject is devops.<tenant>.cmd.<service>.<Type>. */
  readonly service: ServiceName;
  readonly summary: string;
  readonly payload: P;
}

export interface EventDefinition<T extends string = string, P extends TObject = TObject> {
  readonly kind: 'event';
  readonly type: T;
  /** The service that emits the event; its subject is devops.<tenant>.evt.<context>.<Type>. */
  readonly service: ServiceName;
  readonly context: ContextName;
  readonly summary: string;
  readonly payload: P;
}

export type MessageDefinition = CommandDefinition | EventDefinition;

export function command<T extends string, P extends TObject>(
  type: T,
  spec: { service: ServiceName; summary: string; payload: P },
): CommandDefinition<T, P> {
  return { kind: 'command', type, ...spec };
}

export function event<T extends string, P extends TObject>(
  type: T,
  spec: { service: ServiceName; context: ContextName; summary: string; payload: P },
): EventDefinition<T, P> {
  return { kind: 'event', type, ...spec };
}

export type PayloadOfDefinition<D> = D extends { payload: infer P extends TObject } ? Static<P> : never;
