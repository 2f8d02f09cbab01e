// What the webhook needs to know at admission time, kept in memory so no request waits on the API server:
// the latest object of every MeshInstallation (from the watch) and the kubelet version of every node (for
// nativeSidecars: Auto, which Istio turns on only when every kubelet is 1.33 or newer).
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { renderContext } from '../../cdk8s/context.js';
import type { MeshInstallation } from '../api/v1alpha1/index.js';
import type { InjectionSettings } from '../../webhooks/admission.js';
import { injectionConfigForMesh, type NativeSidecarSetting, type NodeKubelet } from '../../webhooks/inject/index.js';

export class InjectionRegistry {
  readonly #meshes = new Map<string, MeshInstallation>();
  readonly #nodes: k8s.Informer<k8s.V1Node> & k8s.ObjectCache<k8s.V1Node>;
  #synced = false;

  constructor(kubeConfig: k8s.KubeConfig, private readonly log: Logger) {
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.#nodes = k8s.makeInformer(kubeConfig, '/api/v1/nodes', () => core.listNode());
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
  }

  names(): string[] {
    return [...this.#meshes.keys()];
  }

  nodeKubelets(): NodeKubelet[] {
    return this.#nodes.list().map((n) => ({ name: n.metadata?.name ?? '', kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? '' }));
  }

  /** Injection settings for a webhook path, or undefined when no installation serves that revision. */
  readonly resolve = (installation: string, revision: string): InjectionSettings | undefined => {
    const mesh = this.#meshes.get(installation);
    if (!mesh) return undefined;
    let context: ReturnType<typeof renderContext>;
    try {
      context = renderContext(mesh);
    } catch {
      return undefined; // an unsupported version: the reconciler reports it; nothing to inject with
    }
    if (context.revision !== revision || !context.spec.injection.enabled) return undefined;
    const spec = context.spec;
    const config = injectionConfigForMesh(spec);
    config.nativeSidecars = this.nativeSidecars(spec.injection?.nativeSidecars);
    return { config, drain: { policy: spec.injection?.gracePeriodPolicy ?? 'Adjust', defaultDrain: spec.injection?.drainDuration } };
  };

  private nativeSidecars(setting: string | undefined): NativeSidecarSetting {
    if (setting === 'Enabled') return true;
    if (setting === 'Disabled') return false;
    return { mode: 'auto', nodes: this.nodeKubelets() };
  }
}
