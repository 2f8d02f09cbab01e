// Names shared by the CRD, the charts, the reconciler and the webhook. One place, so they cannot drift.

export const GROUP = 'mesh.meshloom.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'MeshInstallation';
export const PLURAL = 'meshinstallations';
export const SHORT_NAME = 'mesh';

/** Server-side apply field manager: every write of the operator uses it. */
export const FIELD_MANAGER = 'meshloom';
/** Finalizer that removes cluster-scoped children (webhook configuration first) before the CR goes. */
export const FINALIZER = `${GROUP}/cleanup`;

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  version: 'app.kubernetes.io/version',
  installation: `${GROUP}/installation`,
  revision: 'istio.io/rev',
} as const;

export const MANAGED_BY = 'meshloom';

/** Component label values; also the keys of `status.components`. Order = install order. */
export const COMPONENTS = ['controlPlane', 'cni', 'ztunnel', 'gateways'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** Annotations meshloom itself writes on pods. */
export const ANNOTATIONS = {
  /** Set by the webhook when it raised terminationGracePeriodSeconds (Adjust policy). */
  gracePeriodAdjusted: `${GROUP}/grace-period-adjusted`,
} as const;
