// Istio 1.30.3's injection test set (testdata/istio-1.30.3): the case table from CASES.md, the webhook-path
// conversion of a manifest into pods (Istio's objectToPod), and the comparison rules that tolerate only
// serialisation differences.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Pod } from '../types.js';

export const CASES_DIR = fileURLToPath(new URL('../testdata/istio-1.30.3/', import.meta.url));

export interface IstioCase {
  input: string;
  golden?: string;
  /** Lower-case text the error must contain, for the cases Istio rejects. */
  expectedError?: string;
  webhookChecked: boolean;
}

/** The rows of the "Cases" table in CASES.md. */
export function loadCases(): IstioCase[] {
  const markdown = readFileSync(`${CASES_DIR}CASES.md`, 'utf8');
  const rows = markdown.split('\n').filter((line) => /^\| `[^`]+\.yaml` \|/.test(line));
  return rows.map((row) => {
    const cells = row.split('|').map((cell) => cell.trim());
    const input = /`([^`]+)`/.exec(cells[1]!)![1]!;
    const error = /`([^`]+)`/.exec(cells[4]!)?.[1];
    return {
      input,
      golden: error ? undefined : `${input}.injected`,
      expectedError: error,
      webhookChecked: cells[5]!.startsWith('yes'),
    };
  });
}

export function readCaseFile(name: string): string {
  return readFileSync(`${CASES_DIR}${name}`, 'utf8');
}

/** Non-empty YAML documents of a text, as plain objects. */
export function yamlDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as unknown)
    .filter((value): value is Record<string, unknown> => value !== null && typeof value === 'object');
}

type JsonMap = Record<string, unknown>;
const isMap = (value: unknown): value is JsonMap => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Istio's objectToPod for the webhook subtest: a Pod as is; a Deployment's template as a pod owned by the
 * ReplicaSet `<name>-fake` (label pod-template-hash=fake); other controllers' templates as pods they own.
 * Kinds without a pod template (a Service) give no pod.
 */
export function objectToPods(object: JsonMap): Pod[] {
  const kind = object['kind'] as string;
  if (kind === 'List') return ((object['items'] as JsonMap[] | undefined) ?? []).flatMap(objectToPods);
  if (kind === 'Pod') return [structuredClone(object) as Pod];
  const spec = isMap(object['spec']) ? object['spec'] : {};
  if (!isMap(spec['template'])) return [];
  const metadata = (isMap(object['metadata']) ? object['metadata'] : {}) as { name: string; namespace?: string };
  const template = structuredClone(spec['template']) as Pod;
  const podMeta = (template.metadata ??= {});
  if (metadata.namespace) podMeta.namespace = metadata.namespace;
  const owner =
    kind === 'Deployment'
      ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${metadata.name}-fake` }
      : { apiVersion: object['apiVersion'] as string, kind, name: metadata.name };
  podMeta.generateName = `${owner.name}-`;
  podMeta.ownerReferences = [{ ...owner, uid: '', controller: true }];
  if (kind === 'Deployment') podMeta.labels = { ...podMeta.labels, 'pod-template-hash': 'fake' };
  return [{ apiVersion: 'v1', kind: 'Pod', ...template }];
}

/**
 * The serialisation differences a comparison may ignore, and nothing else (CASES.md, "Checking an
 * implementation"): empty documents; null values and empty lists; creationTimestamp, status, and an empty
 * metadata, strategy or updateStrategy; `resources: {}` on a container; a volume with no source versus
 * `emptyDir: {}`. Key order is ignored by comparing parsed values.
 */
export const TOLERATED_DIFFERENCES = [
  'empty documents',
  'null values and empty lists',
  'creationTimestamp and status',
  'empty metadata, strategy or updateStrategy',
  'resources: {} on a container',
  'a volume with no source versus emptyDir: {}',
] as const;

const VOLUME_SOURCE_KEYS_IGNORED = new Set(['name']);

export function normaliseSerialisation(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => normaliseSerialisation(item));
    if (key === 'volumes') {
      return items.map((volume) =>
        isMap(volume) && Object.keys(volume).every((k) => VOLUME_SOURCE_KEYS_IGNORED.has(k)) ? { ...volume, emptyDir: {} } : volume,
      );
    }
    return items;
  }
  if (!isMap(value)) return value;
  const out: JsonMap = {};
  for (const [name, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    if (Array.isArray(item) && item.length === 0) continue;
    if (name === 'creationTimestamp' || name === 'status') continue;
    const normalised = normaliseSerialisation(item, name);
    const emptyMap = isMap(normalised) && Object.keys(normalised).length === 0;
    if (emptyMap && ['metadata', 'strategy', 'updateStrategy', 'resources'].includes(name)) continue;
    out[name] = normalised;
  }
  return out;
}

export function withoutStatusAnnotation(pod: Pod): Pod {
  const copy = structuredClone(pod);
  delete copy.metadata?.annotations?.['sidecar.istio.io/status'];
  return copy;
}
