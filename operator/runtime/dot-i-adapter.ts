// The thin adapter around @dot-i/k8s-operator. dot-i owns the process lifecycle and the MeshInstallation
// watch; it is used only as an event source. Its events never carry work: each one just names the object
// to reconcile, and the reconcile reads fresh state. (dot-i 1.3.9 has no coalescing, no label selectors, no
// resync, and calls process.exit on a watch error: the work queue and informers supply the rest.)
import { setTimeout as sleep } from 'node:timers/promises';
import dotI from '@dot-i/k8s-operator';
import * as k8s from '@kubernetes/client-node';
import type { ResourceEvent } from '@dot-i/k8s-operator';
import type { Logger } from 'pino';
import { GROUP, PLURAL, VERSION } from '../api/names.js';

const Operator = dotI.default;

export interface MeshInstallationEvents {
  /** An installation was added, changed or deleted: its latest object, or undefined once deleted. */
  onChange(name: string, object: Record<string, unknown> | undefined): void;
}

export class MeshInstallationWatch extends Operator {
  constructor(
    log: Logger,
    private readonly events: MeshInstallationEvents,
  ) {
    super(log.child({ component: 'dot-i' }));
  }

  /**
   * Waits until a watch on MeshInstallations is accepted. Right after the CRD is established the API server
   * answers watches with 429 until its watch cache is ready, and dot-i would exit the process on that.
   */
  static async waitUntilWatchable(kubeConfig: k8s.KubeConfig, log: Logger, timeoutMs = 60_000): Promise<void> {
    const path = `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const outcome: { error?: Error & { statusCode?: number } } = {};
      const controller = await new k8s.Watch(kubeConfig).watch(path, {}, () => undefined, (err) => (outcome.error ??= err));
      const failure = outcome.error;
      controller.abort(); // reports an AbortError to the callback, which is not a failure of the watch
      if (!failure) return;
      const status = failure.statusCode;
      const retryable = status === 429 || status === 503 || status === 404;
      if (!retryable || Date.now() > deadline) throw failure;
      log.info({ status, attempt }, 'MeshInstallation watch not accepted yet; retrying');
      await sleep(Math.min(2_000, 100 * attempt));
    }
  }

  protected async init(): Promise<void> {
    await this.watchResource(GROUP, VERSION, PLURAL, async (event: ResourceEvent) => {
      const deleted = event.type === 'DELETED';
      this.events.onChange(event.meta.name, deleted ? undefined : (event.object as unknown as Record<string, unknown>));
    });
  }
}
