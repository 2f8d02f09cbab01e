// Kubernetes Events on the MeshInstallation, for `kubectl describe mesh`. The reconciler emits them only on
// transitions, so a steady state writes none.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from './kube.js';

export type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; uid?: string; namespace?: string };
}

export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly component = 'meshloom-operator',
    private readonly host = process.env.HOSTNAME ?? 'localhost',
  ) {}

  /** Records an Event; failures are logged, never thrown, because an Event is never worth a failed reconcile. */
  async emit(object: InvolvedObject, type: EventType, reason: string, message: string): Promise<void> {
    // Cluster-scoped objects have their Events in `default`, where `kubectl describe` finds them.
    const namespace = object.metadata.namespace ?? 'default';
    const now = new Date();
    const event: k8s.CoreV1Event = {
      metadata: { generateName: `${object.metadata.name}.`, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        uid: object.metadata.uid,
        namespace: object.metadata.namespace,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.component, host: this.host },
      reportingComponent: `mesh.meshloom.dev/${this.component}`,
      reportingInstance: this.host,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.client.requests.record('create');
    try {
      await this.client.core.createNamespacedEvent({ namespace, body: event });
    } catch (err) {
      this.log.warn({ err, reason, object: object.metadata.name }, 'Failed to record Event');
    }
  }
}
