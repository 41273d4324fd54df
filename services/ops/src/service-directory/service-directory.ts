import { Inject, Injectable } from '@nestjs/common';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNames } from '@delivery/contracts';
import { listServices, lookupService, NATS_CONNECTION, openServiceRegistry } from '@delivery/service-kit';
import { parseServiceUrls } from './service-urls';

export interface DirectoryEntry {
  name: string;
  url: string;
  source: 'static' | 'registry';
  startedAt: string | null;
}

export const SERVICE_URLS = Symbol('SERVICE_URLS');

// Where each service's REST API lives: static overrides (SERVICE_URLS) first, then the NATS KV registry that
// every service keeps fresh. Read on demand, not watched: an expired entry (a crashed service) must disappear,
// and expiry by max_age sends no watch update.
@Injectable()
export class ServiceDirectory {
  private registry?: Promise<KV>;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    private readonly names: BusNames,
    @Inject(SERVICE_URLS) private readonly staticUrls: Map<string, string>,
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
    return parseServiceUrls(env.SERVICE_URLS);
  }

  async resolve(name: string): Promise<DirectoryEntry | undefined> {
    const pinned = this.staticUrls.get(name);
    if (pinned) return { name, url: pinned, source: 'static', startedAt: null };
    const registered = await lookupService(await this.kv(), name);
    return registered && { name, url: registered.url.replace(/\/+$/, ''), source: 'registry', startedAt: registered.startedAt };
  }

  async list(): Promise<DirectoryEntry[]> {
    const entries = new Map<string, DirectoryEntry>();
    for (const registered of await listServices(await this.kv())) {
      entries.set(registered.name, { name: registered.name, url: registered.url.replace(/\/+$/, ''), source: 'registry', startedAt: registered.startedAt });
    }
    for (const [name, url] of this.staticUrls) entries.set(name, { name, url, source: 'static', startedAt: null });
    return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private kv(): Promise<KV> {
    // A failed open is retried on the next request rather than cached.
    this.registry ??= openServiceRegistry(this.connection, this.names).catch((error: unknown) => {
      this.registry = undefined;
      throw error;
    });
    return this.registry;
  }
}
