// The control-plane namespace and every gateway namespace, created if missing. They are user space: never
// owned by the MeshInstallation and never deleted with it.
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import type { RenderContext } from '../context.js';

export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps, ctx: RenderContext) {
    super(scope, id, props);
    const names = new Set([ctx.spec.namespace, ...ctx.spec.gateways.map((gateway) => gateway.namespace)]);
    for (const name of [...names].sort()) new k8s.KubeNamespace(this, name, { metadata: { name } });
  }
}
