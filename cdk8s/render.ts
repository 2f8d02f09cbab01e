// Renders everything the operator installs for a MeshInstallation. Pure: a fresh cdk8s App per call, no
// disk, no clock, no randomness — the reconciler, `meshloom render` and the tests all call this one function.
import { App, type Chart, type ChartProps } from 'cdk8s';
import { API_VERSION, KIND, LABELS, MANAGED_BY } from '../operator/api/names.js';
import type { MeshInstallation } from '../operator/api/v1alpha1/index.js';
import { CniChart } from './charts/cni.js';
import { ControlPlaneChart } from './charts/control-plane.js';
import { GatewaysChart } from './charts/gateways.js';
import { InjectorChart } from './charts/injector.js';
import { IstioCrdsChart } from './charts/istio-crds.js';
import { NamespacesChart } from './charts/namespaces.js';
import { ZtunnelChart } from './charts/ztunnel.js';
import { renderContext, type RenderContext, type RevisionRef } from './context.js';

/** Where the cluster the objects go to differs from one call site to another. */
export interface RenderEnvironment {
  /** Namespace the operator runs in; the injection webhook never intercepts its pods. */
  operatorNamespace: string;
  injector: {
    /** The operator's webhook server: a Service in the cluster, or a URL (local clusters, `render`). */
    clientConfig: { url: string } | { service: { name: string; namespace: string; port: number } };
    caBundle?: string;
    failurePolicy: 'Ignore' | 'Fail';
  };
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

/**
 * Components in apply order: namespaces, Istio's API CRDs (before istiod watches them and before any chart renders
 * Istio config), then the control plane (ready before anything talks to it), istio-cni before ztunnel, gateways,
 * and the injection webhook last so pods are only injected once istiod serves.
 */
export const RENDER_ORDER = ['namespaces', 'crds', 'controlPlane', 'cni', 'ztunnel', 'gateways', 'injector'] as const;
export type RenderedComponentName = (typeof RENDER_ORDER)[number];

export interface RenderedComponent {
  component: RenderedComponentName;
  /** Empty when the spec turns the component off, so the reconciler prunes what is left of it. */
  objects: KubeObject[];
}

type ChartFactory = (app: App, props: ChartProps) => Chart | undefined;

export interface RenderOptions {
  /**
   * Older control-plane revisions to keep running beside the spec's (a revision-based upgrade in progress): each
   * gets its own istiod and injector configuration, while the `default` tag stays with the spec's revision. The
   * reconciler decides which ones are still needed; an entry naming the spec's own revision is ignored.
   */
  retainedRevisions?: readonly RevisionRef[];
}

/** User data that outlives the MeshInstallation: owning it would let garbage collection delete it. */
const UNOWNED_COMPONENTS: ReadonlySet<RenderedComponentName> = new Set(['namespaces', 'crds']);

/** The component's objects, in apply order; every component is listed even when it renders nothing. */
export function renderMeshInstallation(mi: MeshInstallation, env: RenderEnvironment, options: RenderOptions = {}): RenderedComponent[] {
  const ctx = renderContext(mi);
  const retained = (options.retainedRevisions ?? []).filter((r) => r.name !== ctx.revision).map((r) => renderContext(mi, r));
  const { nodeTunnel, injection } = ctx.spec;
  const charts: Record<RenderedComponentName, ChartFactory> = {
    namespaces: (app, props) => new NamespacesChart(app, 'namespaces', props, ctx),
    crds: (app, props) => new IstioCrdsChart(app, 'istio-crds', props, ctx),
    controlPlane: (app, props) => new ControlPlaneChart(app, 'control-plane', props, ctx, retained),
    cni: (app, props) => (nodeTunnel.enabled ? new CniChart(app, 'cni', props, ctx) : undefined),
    ztunnel: (app, props) => (nodeTunnel.enabled ? new ZtunnelChart(app, 'ztunnel', props, ctx) : undefined),
    gateways: (app, props) => new GatewaysChart(app, 'gateways', props, ctx),
    injector: (app, props) => (injection.enabled ? new InjectorChart(app, 'injector', props, ctx, env, retained) : undefined),
  };
  const app = new App();
  return RENDER_ORDER.map((component) => {
    const chart = charts[component](app, { labels: componentLabels(ctx, component) });
    const objects = (chart?.toJson() ?? []) as KubeObject[];
    return { component, objects: UNOWNED_COMPONENTS.has(component) ? objects : objects.map((o) => owned(o, mi)) };
  });
}

/** Every object of the component, flattened in apply order. */
export function renderedObjects(components: readonly RenderedComponent[]): KubeObject[] {
  return components.flatMap((component) => component.objects);
}

function componentLabels(ctx: RenderContext, component: RenderedComponentName): Record<string, string> {
  // Istio's CRDs are shared by every installation in the cluster and outlive them: labelled as meshloom's,
  // but not as one installation's, so installations render identical CRDs and never take them from each other.
  const installation: Record<string, string> = component === 'crds' ? {} : { [LABELS.installation]: ctx.installation };
  return { [LABELS.managedBy]: MANAGED_BY, ...installation, [LABELS.component]: component };
}

/**
 * The MeshInstallation is cluster-scoped, so it can own namespaced and cluster-scoped children alike; garbage
 * collection then removes them when it goes. Without a uid (offline render) there is nothing to point at.
 */
function owned(object: KubeObject, mi: MeshInstallation): KubeObject {
  const uid = mi.metadata?.uid;
  if (!uid) return object;
  const owner: OwnerReference = {
    apiVersion: API_VERSION,
    kind: KIND,
    name: mi.metadata!.name!,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return { ...object, metadata: { ...object.metadata, ownerReferences: [owner] } };
}
