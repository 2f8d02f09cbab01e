// Label-filtered informers on every kind meshloom owns. Any change to an owned child enqueues its
// MeshInstallation, which is how drift (a deleted DaemonSet, a hand-edited image) is repaired in seconds.
// client-node's informer stops on any error other than 410 Gone, so each one is restarted here with backoff.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LABELS, MANAGED_BY } from '../api/names.js';
import { collectionPath, OWNED_KINDS, type OwnedKind } from './kinds.js';
import type { KubeObject } from './kube.js';

export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

type Cache = k8s.Informer<KubeObject> & k8s.ObjectCache<KubeObject>;

export interface InformerSetOptions {
  kubeConfig: k8s.KubeConfig;
  log: Logger;
  /** Called with the owning installation's name whenever an owned child is added, changed or deleted. */
  onOwnerChanged: (installation: string) => void;
  kinds?: readonly OwnedKind[];
  maxRestartDelayMs?: number;
}

class RestartingInformer {
  readonly informer: Cache;
  #synced = false;
  #stopped = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly kind: OwnedKind,
    kubeConfig: k8s.KubeConfig,
    private readonly log: Logger,
    private readonly maxRestartDelayMs: number,
    onChange: (obj: KubeObject) => void,
  ) {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    const list = () =>
      objects.list<KubeObject>(kind.apiVersion, kind.kind, undefined, undefined, undefined, undefined, undefined, MANAGED_SELECTOR);
    this.informer = k8s.makeInformer<KubeObject>(kubeConfig, collectionPath(kind), list, MANAGED_SELECTOR);
    for (const verb of [k8s.ADD, k8s.UPDATE, k8s.DELETE] as const) this.informer.on(verb, onChange);
    this.informer.on(k8s.CONNECT, () => {
      this.#failures = 0;
    });
    this.informer.on(k8s.ERROR, (err) => this.#restart(err));
  }

  get synced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.#synced = true;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.informer.stop();
  }

  #restart(err: unknown): void {
    if (this.#stopped || (err as Error | undefined)?.name === 'AbortError') return;
    this.#failures++;
    const delay = Math.min(this.maxRestartDelayMs, 250 * 2 ** Math.min(this.#failures, 10)) * (0.8 + Math.random() * 0.4);
    this.log.warn({ kind: this.kind.kind, err, retryInMs: Math.round(delay) }, 'Watch failed; restarting informer');
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.start().catch((e: unknown) => this.#restart(e));
    }, delay);
    this.#timer.unref();
  }
}

export class OwnedInformers {
  readonly #informers: Map<string, RestartingInformer>;

  constructor(options: InformerSetOptions) {
    const onChange = (obj: KubeObject) => {
      const owner = obj.metadata?.labels?.[LABELS.installation];
      if (owner) options.onOwnerChanged(owner);
    };
    this.#informers = new Map(
      (options.kinds ?? OWNED_KINDS).map((kind) => [
        `${kind.apiVersion}/${kind.kind}`,
        new RestartingInformer(kind, options.kubeConfig, options.log, options.maxRestartDelayMs ?? 30_000, onChange),
      ]),
    );
  }

  async start(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }

  /** Every informer has listed at least once: the caches can be trusted for reads and pruning. */
  get synced(): boolean {
    return [...this.#informers.values()].every((i) => i.synced);
  }

  /** The cached object, or undefined when it does not exist or is not managed by meshloom. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    return this.#informers.get(`${apiVersion}/${kind}`)?.informer.get(name, namespace);
  }

  /**
   * All cached objects carrying the installation label, as references with apiVersion and kind filled in
   * (items that came from a list response carry neither).
   */
  ownedBy(installation: string): Array<{ kind: OwnedKind; object: KubeObject }> {
    return [...this.#informers.values()].flatMap((i) =>
      i.informer
        .list()
        .filter((o) => o.metadata?.labels?.[LABELS.installation] === installation)
        .map((object) => ({ kind: i.kind, object })),
    );
  }
}
