// The MutatingWebhookConfigurations that send pods to meshloom's injection webhook, one per installation and
// revision, with Istio's selector table (injection.md §1.2, entries 1–4; entry 5, "inject everywhere", off).
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { LABELS } from '../../operator/api/names.js';
import { DEFAULT_REVISION, type RenderContext } from '../context.js';
import type { RenderEnvironment } from '../render.js';

type Requirement = k8s.LabelSelectorRequirement;

const NOT_OPTED_OUT: Requirement = { key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] };
const NO_LEGACY_LABEL: Requirement = { key: 'istio-injection', operator: 'DoesNotExist' };
const NO_REVISION_LABEL: Requirement = { key: LABELS.revision, operator: 'DoesNotExist' };

/**
 * Webhook names end in our own domain, not Istio's `sidecar-injector.istio.io`: istiod patches the caBundle of
 * every webhook with that suffix in configurations labelled with its revision, and would fight the operator.
 */
const WEBHOOK_DOMAIN = 'sidecar-injector.meshloom.dev';

export class InjectorChart extends Chart {
  /**
   * One configuration per revision. The spec's revision (`ctx`) also carries the `default` tag, so
   * `istio.io/rev=default` and `istio-injection=enabled` select it (entries 3 and 4 exist only for the default tag
   * in Istio): moving the tag is applying this chart with a new `ctx`. `retained` revisions keep only their own
   * `istio.io/rev=<revision>` entries, for the namespaces and pods pinned to them.
   */
  constructor(scope: Construct, id: string, props: ChartProps, ctx: RenderContext, env: RenderEnvironment, retained: readonly RenderContext[] = []) {
    super(scope, id, props);
    // Never intercept the system's or the operator's own pods: a Fail policy would deadlock them.
    const excluded: Requirement = {
      key: 'kubernetes.io/metadata.name',
      operator: 'NotIn',
      values: [...new Set(['kube-system', env.operatorNamespace])],
    };
    // The tag's new holder comes first in apply order, then the old one drops it: while a pod is admitted
    // between the two writes both may inject it (the second replaces the sidecar of the first), but none skips it.
    this.configuration(ctx, env, excluded, true);
    // An older revision named `default` has nothing of its own to select: that name is the tag's now.
    for (const old of retained.filter((r) => r.revision !== DEFAULT_REVISION)) this.configuration(old, env, excluded, false);
  }

  private configuration(ctx: RenderContext, env: RenderEnvironment, excluded: Requirement, carriesDefaultTag: boolean): void {
    const revisions = ctx.revision === DEFAULT_REVISION ? [DEFAULT_REVISION] : carriesDefaultTag ? [ctx.revision, DEFAULT_REVISION] : [ctx.revision];
    const selectorTable: { name: string; namespace: Requirement[]; object: Requirement[] }[] = [
      {
        name: `rev.namespace.${WEBHOOK_DOMAIN}`,
        namespace: [{ key: LABELS.revision, operator: 'In', values: revisions }, NO_LEGACY_LABEL],
        object: [NOT_OPTED_OUT],
      },
      {
        name: `rev.object.${WEBHOOK_DOMAIN}`,
        namespace: [NO_REVISION_LABEL, NO_LEGACY_LABEL],
        object: [NOT_OPTED_OUT, { key: LABELS.revision, operator: 'In', values: revisions }],
      },
    ];
    if (carriesDefaultTag) {
      selectorTable.push(
        {
          name: `namespace.${WEBHOOK_DOMAIN}`,
          namespace: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }],
          object: [NOT_OPTED_OUT],
        },
        {
          name: `object.${WEBHOOK_DOMAIN}`,
          namespace: [NO_LEGACY_LABEL, NO_REVISION_LABEL],
          object: [{ key: 'sidecar.istio.io/inject', operator: 'In', values: ['true'] }, NO_REVISION_LABEL],
        },
      );
    }

    const path = injectionPath(ctx.installation, ctx.revision);
    const target = env.injector.clientConfig;
    const clientConfig: k8s.WebhookClientConfig =
      'url' in target
        ? { url: `${target.url.replace(/\/+$/, '')}${path}`, caBundle: env.injector.caBundle }
        : { service: { ...target.service, path }, caBundle: env.injector.caBundle };

    new k8s.KubeMutatingWebhookConfiguration(this, ctx.revision, {
      metadata: {
        name: `meshloom-sidecar-injector-${ctx.installation}-${ctx.revision}`,
        labels: { [LABELS.revision]: ctx.revision },
      },
      webhooks: selectorTable.map((entry) => ({
        name: entry.name,
        clientConfig,
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [...entry.namespace, excluded] },
        objectSelector: { matchExpressions: entry.object },
        sideEffects: 'None',
        timeoutSeconds: 10,
        admissionReviewVersions: ['v1'],
        failurePolicy: env.injector.failurePolicy,
        reinvocationPolicy: 'Never',
      })),
    });
  }
}

/** The webhook path that serves one installation's revision; the operator's webhook server routes on it. */
export function injectionPath(installation: string, revision: string): string {
  return `/inject/${installation}/${revision}`;
}

/** The revision a webhook path serves, or undefined when the path is not one of `installation`'s. */
export function revisionOfInjectionPath(installation: string, path: string): string | undefined {
  const prefix = injectionPath(installation, '');
  return path.startsWith(prefix) && path.length > prefix.length ? path.slice(prefix.length) : undefined;
}
