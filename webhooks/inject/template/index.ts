// The injection templates meshloom implements, by the names Istio's injector config gives them.
import { ANNOTATION } from '../istio-names.js';
import type { InjectionConfig, Pod } from '../types.js';
import type { InjectionTemplate } from './context.js';
import { gatewayTemplate } from './gateway.js';
import { sidecarTemplate } from './sidecar.js';

export type { InjectionTemplate, PodOverlay, TemplateContext } from './context.js';

const TEMPLATES: Readonly<Record<string, InjectionTemplate>> = {
  gateway: gatewayTemplate,
  sidecar: sidecarTemplate,
};

/** A pod asked (through `inject.istio.io/templates`) for a template meshloom does not have. */
export class TemplateNotFoundError extends Error {
  override readonly name = 'TemplateNotFoundError';
  constructor(readonly template: string) {
    super(`requested template ${JSON.stringify(template)} not found; have ${Object.keys(TEMPLATES).sort().join(', ')}`);
  }
}

/** The templates to run, in order: the pod's `inject.istio.io/templates` list, else the configured defaults. */
export function selectTemplates(pod: Pod, config: InjectionConfig): { name: string; render: InjectionTemplate }[] {
  const requested = pod.metadata?.annotations?.[ANNOTATION.injectTemplates];
  const names = requested !== undefined ? requested.split(',').map((name) => name.trim()) : config.defaultTemplates;
  return names.map((name) => {
    const render = TEMPLATES[name];
    if (!render) throw new TemplateNotFoundError(name);
    return { name, render };
  });
}
