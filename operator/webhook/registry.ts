// What the webhook needs to know at admission time, kept in memory so no request waits on the API server:
// the latest object of every MeshInstallation (from the watch) and the kubelet version of every node (for
// nativeSidecars: Auto, which Istio turns on only when every kubelet is 1.33 or newer).
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { DEFAULT_REVISION, targetRevision } from '../../cdk8s/context.js';
import { resolveSpec } from '../api/profiles.js';
import type { MeshInstallation } from '../api/v1alpha1/index.js';
import type { InjectionSettings } from '../../webhooks/admission.js';
import { injectionConfigForMesh, type NodeKubelet } from '../../webhooks/inject/index.js';

export class InjectionRegistry {
  readonly #meshes = new Map<string, MeshInstallation>();
  readonly #settings = new Map<string, InjectionSettings | undefined>();
  readonly #nodes: k8s.Informer<k8s.V1Node> & k8s.ObjectCache<k8s.V1Node>;
  #synced = false;

  constructor(kubeConfig: k8s.KubeConfig, private readonly log: Logger) {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.#nodes = k8s.makeInformer(kubeConfig, '/api/v1/nodes', () => core.listNode());
    this.#nodes.on(k8s.CHANGE, () => this.#settings.clear());
    this.#nodes.on(k8s.ERROR, (err) => {
      if ((err as Error | undefined)?.name === 'AbortError') return;
      this.log.warn({ err }, 'Node watch failed; restarting');
      setTimeout(() => void this.#nodes.start().catch(() => undefined), 2_000).unref();
    });
  }

  get synced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    await this.#nodes.start();
    this.#synced = true;
  }

  async stop(): Promise<void> {
    await this.#nodes.stop();
  }

  update(name: string, object: Record<string, unknown> | undefined): void {
    if (object) this.#meshes.set(name, object as unknown as MeshInstallation);
    else this.#meshes.delete(name);
    this.#settings.clear();
  }

  names(): string[] {
    return [...this.#meshes.keys()];
  }

  nodeKubelets(): NodeKubelet[] {
    return this.#nodes.list().map((n) => ({ name: n.metadata?.name ?? '', kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? '' }));
  }

  /**
   * The Istio version the webhook injects for an installation's revision, or undefined when it serves none. The
   * live revisions are the spec's and those in status.revisions (older ones kept during a revision-based
   * upgrade). A revision injects the version its istiod has rolled out (status), so an in-place upgrade switches
   * new pods to the new proxy only once the new control plane is out; a revision not in the status yet is new,
   * at the spec's version.
   */
  readonly injectedVersion = (installation: string, revision: string): string | undefined => {
    const mesh = this.#meshes.get(installation);
    if (!mesh?.spec) return undefined;
    const listed = mesh.status?.revisions?.find((r) => r.name === revision);
    if (listed) return listed.version;
    try {
      return targetRevision(resolveSpec(mesh.spec)).name === revision ? mesh.spec.version : undefined;
    } catch {
      return undefined; // a spec the API server should have refused: the reconciler reports it
    }
  };

  /**
   * Injection settings for a webhook path, or undefined when no installation serves that revision. Computed once
   * per (installation, revision) and kept until the installation or a node changes: admission is the hot path.
   */
  readonly resolve = (installation: string, revision: string): InjectionSettings | undefined => {
    const key = `${installation}/${revision}`;
    if (!this.#settings.has(key)) this.#settings.set(key, this.#compute(installation, revision));
    return this.#settings.get(key);
  };

  #compute(installation: string, revision: string): InjectionSettings | undefined {
    const mesh = this.#meshes.get(installation);
    const version = this.injectedVersion(installation, revision);
    if (!mesh || version === undefined) return undefined;
    let spec: ReturnType<typeof resolveSpec>;
    let config: InjectionSettings['config'];
    try {
      spec = resolveSpec(mesh.spec);
      config = injectionConfigForMesh({ ...mesh.spec, version }, { revision: revision === DEFAULT_REVISION ? '' : revision, nodes: this.nodeKubelets() });
    } catch {
      return undefined; // a version outside the catalogue: the reconciler reports it; nothing to inject with
    }
    if (!spec.injection.enabled) return undefined;
    return { config, drain: { policy: spec.injection.gracePeriodPolicy, defaultDrain: spec.injection.drainDuration } };
  }
}
