import { KubeApiClient, KubeApiError } from './kube-api.client';
import type { KubeObject } from './kube.objects';

// List then watch one kind in a namespace, keeping a local copy of the objects: gitops-sync can react to a
// Deployment's status change instead of polling. A 410 Gone (resourceVersion too old) means events were missed:
// relist from scratch and watch again from the new list's resourceVersion.

export interface InformerOptions {
  kind: string;
  namespace: string;
  labelSelector?: string;
  onChange?: (type: string, object: KubeObject) => void;
}

export class KubeInformer {
  readonly objects = new Map<string, KubeObject>();
  /** how many times it listed (1 + relists after 410) */
  lists = 0;
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly client: KubeApiClient,
    private readonly options: InformerOptions,
  ) {}

  /** Resolves after the first list; watching continues in the background until stop(). */
  async start(): Promise<void> {
    let resourceVersion = await this.relist();
    this.running = (async () => {
      while (!this.abort.signal.aborted) {
        try {
          await this.client.watch(
            this.options.kind,
            this.options.namespace,
            { labelSelector: this.options.labelSelector, resourceVersion, signal: this.abort.signal },
            (event) => {
              const rv = event.object.metadata.resourceVersion;
              if (rv) resourceVersion = rv;
              if (event.type === 'BOOKMARK') return;
              if (event.type === 'DELETED') this.objects.delete(event.object.metadata.name);
              else this.objects.set(event.object.metadata.name, event.object);
              this.options.onChange?.(event.type, event.object);
            },
          );
        } catch (error) {
          if (this.abort.signal.aborted) return;
          if (error instanceof KubeApiError && error.status === 410) {
            resourceVersion = await this.relist();
            continue;
          }
          // anything else: back off briefly, then watch again from where we were
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async relist(): Promise<string> {
    const { items, resourceVersion } = await this.client.list(this.options.kind, this.options.namespace, this.options.labelSelector);
    this.lists += 1;
    this.objects.clear();
    for (const item of items) this.objects.set(item.metadata.name, item);
    this.options.onChange?.('RELISTED', { apiVersion: 'v1', kind: 'List', metadata: { name: '', resourceVersion } });
    return resourceVersion;
  }
}
