// The thin adapter around @dot-i/k8s-operator. dot-i owns the process lifecycle and the MeshInstallation
// watch; it is used only as an event source. Its events never carry work: each one just names the object
// to reconcile, and the reconcile reads fresh state. (dot-i 1.3.9 has no coalescing, no label selectors, no
// resync, and calls process.exit on a watch error: the work queue and informers supply the rest.)
import dotI from '@dot-i/k8s-operator';
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

  protected async init(): Promise<void> {
    await this.watchResource(GROUP, VERSION, PLURAL, async (event: ResourceEvent) => {
      const deleted = event.type === 'DELETED';
      this.events.onChange(event.meta.name, deleted ? undefined : (event.object as unknown as Record<string, unknown>));
    });
  }
}
