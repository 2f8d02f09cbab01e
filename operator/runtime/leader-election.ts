// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timings and semantics: the holder
// renews every retryPeriod; a candidate takes the lease once it has not been renewed for leaseDuration;
// every write carries the resourceVersion it read, so two candidates can never both win. Only the leader
// reconciles; every replica serves the webhook.
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isConflict, isNotFound } from './kube.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export class LeaderElector {
  readonly #api: k8s.CoordinationV1Api;
  readonly #opts: Required<LeaderElectionOptions>;
  #leading = false;
  #stopped = false;

  constructor(kubeConfig: k8s.KubeConfig, options: LeaderElectionOptions, private readonly log: Logger) {
    this.#api = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.#opts = { leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
  }

  get leading(): boolean {
    return this.#leading;
  }

  /**
   * Blocks until this replica leads, then renews in the background. `onLost` runs when a renewal has failed
   * for renewDeadline: the caller must stop reconciling at once (client-go exits the process).
   */
  async run(onStarted: () => void, onLost: () => void): Promise<void> {
    while (!this.#stopped && !(await this.#tryAcquireOrRenew())) await sleep(this.#opts.retryPeriodMs);
    if (this.#stopped) return;
    this.#leading = true;
    this.log.info({ lease: `${this.#opts.namespace}/${this.#opts.name}`, identity: this.#opts.identity }, 'Became leader');
    onStarted();
    void this.#renewLoop(onLost);
  }

  /** Gives the lease up so another replica takes over without waiting for it to expire. */
  async release(): Promise<void> {
    this.#stopped = true;
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#opts.name, namespace: this.#opts.namespace });
      if (lease.spec?.holderIdentity !== this.#opts.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: new k8s.V1MicroTime() };
      await this.#api.replaceNamespacedLease({ name: this.#opts.name, namespace: this.#opts.namespace, body: lease });
    } catch (err) {
      this.log.warn({ err }, 'Failed to release leader lease');
    }
  }

  async #renewLoop(onLost: () => void): Promise<void> {
    let lastRenew = Date.now();
    while (!this.#stopped) {
      await sleep(this.#opts.retryPeriodMs);
      if (this.#stopped) return;
      if (await this.#tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > this.#opts.renewDeadlineMs) {
        this.#leading = false;
        this.log.error({ lease: this.#opts.name }, 'Lost leader lease');
        onLost();
        return;
      }
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.#opts;
    const now = new k8s.V1MicroTime();
    try {
      let lease: k8s.V1Lease;
      try {
        lease = await this.#api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.#api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } },
        });
        return true;
      }
      const spec = lease.spec ?? {};
      const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
      const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < Date.now();
      const mine = spec.holderIdentity === identity;
      if (!mine && spec.holderIdentity && !expired) return false;
      lease.spec = {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        acquireTime: mine ? spec.acquireTime : now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      };
      await this.#api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err }, 'Failed to acquire or renew leader lease');
      return false;
    }
  }
}
