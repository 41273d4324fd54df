import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BusNames } from '@delivery/contracts';

// Service directory (DESIGN §2 ops app): every running service announces its base URL in a NATS KV bucket of
// its namespace. Entries expire (max_age) unless refreshed, so a crashed service drops out on its own.
export interface ServiceRegistration {
  name: string;
  /** base URL of the service's REST API, e.g. http://10.0.0.7:3000 */
  url: string;
  startedAt: string;
}

export interface ServiceRegistryOptions {
  /** how long an entry lives without a refresh (default 30 s) */
  ttlMs?: number;
  /** how often a running service refreshes its entry (default 10 s) */
  refreshMs?: number;
  /** refresh failures go here (NATS down for a while); default: ignored, the next refresh tries again */
  onError?: (error: unknown) => void;
}

export type Deregister = () => Promise<void>;

export const SERVICE_REGISTRY_TTL_MS = 30_000;
export const SERVICE_REGISTRY_REFRESH_MS = 10_000;
const SERVICE_KEY = /^[a-z][a-z0-9-]{0,62}$/;

export function serviceRegistryBucket(names: BusNames): string {
  return `${names.namespace}_services`;
}

/** Opens the namespace's registry bucket, creating it when it does not exist yet (writers and readers alike). */
export function openServiceRegistry(nc: NatsConnection, names: BusNames, ttlMs = SERVICE_REGISTRY_TTL_MS): Promise<KV> {
  return new Kvm(nc).create(serviceRegistryBucket(names), { ttl: ttlMs, history: 1, description: 'running services and their base URLs' });
}

/** Puts { name, url, startedAt } under the service's name and keeps it fresh until the returned deregister(). */
export async function registerService(
  nc: NatsConnection,
  names: BusNames,
  service: { name: string; url: string },
  options: ServiceRegistryOptions = {},
): Promise<Deregister> {
  if (!SERVICE_KEY.test(service.name)) throw new Error(`service name "${service.name}" cannot be a registry key (${SERVICE_KEY})`);
  const ttlMs = options.ttlMs ?? SERVICE_REGISTRY_TTL_MS;
  const refreshMs = Math.min(options.refreshMs ?? SERVICE_REGISTRY_REFRESH_MS, Math.floor(ttlMs / 2));
  const kv = await openServiceRegistry(nc, names, ttlMs);
  const registration: ServiceRegistration = { name: service.name, url: service.url, startedAt: new Date().toISOString() };
  const value = JSON.stringify(registration);
  await kv.put(service.name, value);

  let refreshing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = kv.put(service.name, value).catch((error: unknown) => options.onError?.(error));
  }, refreshMs);
  timer.unref();

  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
      clearInterval(timer);
      await refreshing;
      // Only our own entry: a newer replica of the same service may have taken the key over meanwhile.
      const entry = await kv.get(service.name).catch(() => null);
      if (!entry || entry.operation !== 'PUT' || entry.string() !== value) return;
      await kv.delete(service.name, { previousSeq: entry.revision }).catch(() => undefined);
    })());
}

/** The registration of one service, or undefined when it is not registered (or its entry expired). */
export async function lookupService(kv: KV, name: string): Promise<ServiceRegistration | undefined> {
  if (!SERVICE_KEY.test(name)) return undefined;
  const entry = await kv.get(name);
  if (!entry || entry.operation !== 'PUT' || entry.length === 0) return undefined;
  return parseRegistration(entry.string());
}

/** Every registered service, sorted by name. */
export async function listServices(kv: KV): Promise<ServiceRegistration[]> {
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  const found = await Promise.all(keys.map((key) => lookupService(kv, key)));
  return found.filter((r): r is ServiceRegistration => r !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

function parseRegistration(raw: string): ServiceRegistration | undefined {
  try {
    const value = JSON.parse(raw) as Partial<ServiceRegistration>;
    if (typeof value.name !== 'string' || typeof value.url !== 'string' || !/^https?:\/\//.test(value.url)) return undefined;
    return { name: value.name, url: value.url, startedAt: typeof value.startedAt === 'string' ? value.startedAt : '' };
  } catch {
    return undefined;
  }
}
