// The workload a pod belongs to, derived from its controller reference the way Istio's
// kube.GetDeployMetaFromPod does; it names ISTIO_META_WORKLOAD_NAME, ISTIO_META_OWNER and the canonical name.
import type { Pod, WorkloadIdentity } from './types.js';

/** A Job created by a CronJob is named `<cronjob>-<8 to 10 digit schedule time>`. */
const CRONJOB_JOB_NAME = /^(.+)-\d{8,10}$/;

export function workloadFromPod(pod: Pod, namespace: string): WorkloadIdentity {
  const metadata = pod.metadata ?? {};
  const identity: WorkloadIdentity = { name: metadata.name ?? '', namespace, kind: 'Pod', apiVersion: 'v1' };
  if (metadata.generateName) {
    const controller = (metadata.ownerReferences ?? []).find((ref) => ref.controller === true);
    if (controller) {
      const labels = metadata.labels ?? {};
      identity.apiVersion = controller.apiVersion;
      identity.kind = controller.kind;
      identity.name = controller.name;
      const templateHash = labels['pod-template-hash'];
      const rolloutHash = labels['rollouts-pod-template-hash'];
      if (controller.kind === 'ReplicaSet' && templateHash && controller.name.endsWith(templateHash)) {
        identity.name = controller.name.slice(0, -(templateHash.length + 1));
        identity.kind = 'Deployment';
        identity.apiVersion = 'apps/v1';
      } else if (controller.kind === 'ReplicaSet' && rolloutHash && controller.name.endsWith(rolloutHash)) {
        identity.name = controller.name.slice(0, -(rolloutHash.length + 1));
        identity.kind = 'Rollout';
        identity.apiVersion = 'argoproj.io/v1alpha1';
      } else if (controller.kind === 'ReplicationController' && labels['deploymentconfig']) {
        identity.name = labels['deploymentconfig'];
        identity.kind = 'DeploymentConfig';
        identity.apiVersion = 'apps.openshift.io/v1';
      } else if (controller.kind === 'Job') {
        const cronJob = CRONJOB_JOB_NAME.exec(controller.name);
        if (cronJob) {
          identity.name = cronJob[1]!;
          identity.kind = 'CronJob';
          identity.apiVersion = 'batch/v1';
        }
      }
    }
  }
  if (!identity.name) identity.name = metadata.name ?? '';
  return identity;
}

/** `kubernetes://apis/<apiVersion>/namespaces/<ns>/<kind>s/<name>`, Istio's ISTIO_META_OWNER. */
export function ownerUrl(workload: WorkloadIdentity): string {
  const namespace = workload.namespace || 'default';
  return `kubernetes://apis/${workload.apiVersion}/namespaces/${namespace}/${workload.kind.toLowerCase()}s/${workload.name}`;
}
