// Public surface of the sidecar injection engine (Istio 1.30.3 behaviour). The webhook server, the CLI and
// the drain rule import from here.
export type {
  Container,
  InjectionConfig,
  InjectionResult,
  InjectOptions,
  JsonPatchOperation,
  NativeSidecarSetting,
  NodeKubelet,
  Pod,
  ProxyConfig,
  SkipReason,
  WorkloadIdentity,
} from './types.js';
export { defaultInjectionConfig } from './config.js';
export { injectPod } from './inject.js';
export { decideInjection, nativeSidecarsForNodes } from './decision.js';
export { effectiveProxyConfig, protoDurationSeconds, ProxyConfigError } from './proxy-config.js';
export { createJsonPatch } from './patch.js';
export { injectManifests, ManifestInjectionError } from './manifests.js';
export type { ManifestInjectionOutput } from './manifests.js';
export { InjectionValidationError } from './validation.js';
export { InvalidOverridesError } from './overrides.js';
export { TemplateNotFoundError } from './template/index.js';
export { injectionConfigForMesh } from './mesh-config.js';
export type { MeshInjectionOptions } from './mesh-config.js';
