// The operator's only door to the API server for managed objects: server-side apply with one field
// manager, reads, deletes, and a request counter (the benchmarks report API requests per reconcile).
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { FIELD_MANAGER } from '../api/names.js';

export type KubeObject = k8s.KubernetesObject & Record<string, unknown>;
export type ObjectRef = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/**
 * The object as the API server sends it. client-node returns listed and fetched objects as models whose keys
 * differ from the wire for a few fields (`x-kubernetes-*`, `default` and `enum` in CRD schemas) while watched
 * objects stay plain JSON; drift is judged on the wire form, or every CRD would always look changed.
 */
export function wireForm(obj: KubeObject, apiVersion: string, kind: string): KubeObject {
  if (Object.getPrototypeOf(obj) === Object.prototype) return obj;
  return parse(k8s.dumpYaml({ ...obj, apiVersion, kind })) as KubeObject;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof k8s.ApiException && err.code === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof k8s.ApiException && err.code === 409;
}

/** Counts requests by verb, so a benchmark can read how many calls a reconcile made. */
export class RequestCounter {
  readonly counts: Record<string, number> = {};
  record(verb: string): void {
    this.counts[verb] = (this.counts[verb] ?? 0) + 1;
  }
  get writes(): number {
    return ['create', 'patch', 'update', 'delete'].reduce((n, v) => n + (this.counts[v] ?? 0), 0);
  }
}

export class KubeClient {
  readonly objects: k8s.KubernetesObjectApi;
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;
  readonly requests = new RequestCounter();

  constructor(readonly kubeConfig: k8s.KubeConfig) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

  /** Server-side apply, forcing ownership of the fields meshloom renders. */
  async apply<T extends KubeObject>(obj: T): Promise<T> {
    this.requests.record('patch');
    // client-node's serializer drops keys whose wire name differs from the model name (x-kubernetes-*,
    // default, enum in CRD schemas) unless the object is first deserialised into its typed model.
    const typed = k8s.loadYaml<T>(JSON.stringify(obj));
    return this.objects.patch(typed, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    this.requests.record('get');
    try {
      return (await this.objects.read(ref as unknown as Parameters<typeof this.objects.read<T>>[0])) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Delete in the background; an object that is already gone counts as deleted. */
  async delete(ref: ObjectRef): Promise<void> {
    this.requests.record('delete');
    try {
      await this.objects.delete(ref as k8s.KubernetesObject, undefined, undefined, undefined, undefined, 'Background');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, labelSelector?: string): Promise<T[]> {
    this.requests.record('list');
    const result = await this.objects.list<T>(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, labelSelector);
    return result.items;
  }

  /** JSON patch (RFC 6902) on a cluster-scoped custom object; `test` ops make it optimistic. */
  async jsonPatchClusterObject(group: string, version: string, plural: string, name: string, ops: object[]): Promise<void> {
    this.requests.record('patch');
    await this.custom.patchClusterCustomObject(
      { group, version, plural, name, body: ops },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
  }

  /** Merge patch of a cluster-scoped custom object's status subresource. */
  async patchClusterObjectStatus(group: string, version: string, plural: string, name: string, status: object): Promise<void> {
    this.requests.record('patch');
    await this.custom.patchClusterCustomObjectStatus(
      { group, version, plural, name, body: { status } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  async getClusterObject<T>(group: string, version: string, plural: string, name: string): Promise<T | undefined> {
    this.requests.record('get');
    try {
      return (await this.custom.getClusterCustomObject({ group, version, plural, name })) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
