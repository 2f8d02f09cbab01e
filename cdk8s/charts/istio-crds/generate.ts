// Generates packaged-kinds.gen.ts from @kubernetes-models/istio: which Istio API kinds exist, in which versions,
// and what each version says about `spec` and `status`. The package ships TypeScript declarations generated from
// Istio's crd-all.gen.yaml (its JSON schemas are only compiled into validators), so the declarations are read with
// the TypeScript parser; nothing is imported at run time, and the operator does not depend on the package.
// Run: `node --import tsx cdk8s/charts/istio-crds/generate.ts`. generate.test.ts fails when the file is stale.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { ISTIO_API_GROUPS } from './facts.js';

export const PACKAGE_NAME = '@kubernetes-models/istio';
export const GENERATED_PATH = fileURLToPath(new URL('./packaged-kinds.gen.ts', import.meta.url));

export interface PackagedVersion {
  name: string;
  specRequired: boolean;
  specDescription?: string;
  hasStatus: boolean;
}

export interface PackagedKind {
  group: string;
  kind: string;
  versions: PackagedVersion[];
}

export interface PackagedIstioApi {
  /** `name@version` of the package read. */
  source: string;
  /** The Istio release whose crd-all.gen.yaml the package was generated from. */
  istioVersion: string;
  kinds: PackagedKind[];
}

export class UnexpectedPackageLayoutError extends Error {
  constructor(packageDir: string, problem: string) {
    super(
      `${PACKAGE_NAME} at ${packageDir} ${problem}; its layout changed, so update cdk8s/charts/istio-crds/generate.ts ` +
        'to read it, or pin the package back to a version the generator understands',
    );
    this.name = 'UnexpectedPackageLayoutError';
  }
}

interface PackageJson {
  version: string;
  exports: Record<string, unknown>;
  'crd-generate'?: { input?: string[] };
}

export function installedPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve(`${PACKAGE_NAME}/package.json`));
}

/** The version in the crd-all.gen.yaml URL the package lists as its input, e.g. `1.29.2`. */
function sourceIstioVersion(pkg: PackageJson, packageDir: string): string {
  for (const url of pkg['crd-generate']?.input ?? []) {
    const match = /\/istio\/istio\/([0-9][^/]*)\/manifests\/charts\/base\/files\/crd-all\.gen\.yaml$/.exec(url);
    if (match) return match[1];
  }
  throw new UnexpectedPackageLayoutError(packageDir, "lists no Istio crd-all.gen.yaml among its package.json 'crd-generate' inputs");
}

/** A property's name, whether written `spec` or `"spec"`. */
function propertyName(member: ts.PropertySignature): string | undefined {
  return ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : undefined;
}

function stringLiteralType(member: ts.PropertySignature | undefined): string | undefined {
  const type = member?.type;
  return type && ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal) ? type.literal.text : undefined;
}

function documentation(member: ts.PropertySignature): string | undefined {
  const text = ts
    .getJSDocCommentsAndTags(member)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join('\n')
    .trim();
  return text || undefined;
}

interface DeclaredKind {
  apiVersion: string;
  kind: string;
  version: PackagedVersion;
}

/** Every interface of a declaration file that types a Kubernetes object: literal `apiVersion` and `kind`. */
function declaredKinds(source: ts.SourceFile): DeclaredKind[] {
  const found: DeclaredKind[] = [];
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const members = new Map<string, ts.PropertySignature>();
    for (const member of statement.members) {
      const name = ts.isPropertySignature(member) ? propertyName(member) : undefined;
      if (name) members.set(name, member as ts.PropertySignature);
    }
    const apiVersion = stringLiteralType(members.get('apiVersion'));
    const kind = stringLiteralType(members.get('kind'));
    if (!apiVersion || !kind) continue;
    const spec = members.get('spec');
    found.push({
      apiVersion,
      kind,
      version: {
        name: apiVersion.split('/')[1],
        specRequired: spec !== undefined && spec.questionToken === undefined,
        specDescription: spec && documentation(spec),
        hasStatus: members.has('status'),
      },
    });
  }
  return found;
}

/** Reads the kinds of Istio's API groups from the package's `<group>/<version>/*.d.ts` declarations. */
export function readPackagedIstioApi(packageDir: string = installedPackageDir()): PackagedIstioApi {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageJson;
  const groups = new Set<string>(ISTIO_API_GROUPS);
  const byKind = new Map<string, PackagedKind>();
  const versionDirs = Object.keys(pkg.exports)
    .map((subpath) => /^\.\/([^/*]+)\/([^/*]+)$/.exec(subpath))
    .filter((match): match is RegExpExecArray => match !== null && groups.has(match[1]));
  for (const [, groupDir, versionDir] of versionDirs) {
    const dir = join(packageDir, groupDir, versionDir);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.d.ts') && name !== 'index.d.ts').sort()) {
      const source = ts.createSourceFile(file, readFileSync(join(dir, file), 'utf8'), ts.ScriptTarget.Latest, true);
      for (const { apiVersion, kind, version } of declaredKinds(source)) {
        const group = apiVersion.split('/')[0];
        const key = `${group}/${kind}`;
        if (!byKind.has(key)) byKind.set(key, { group, kind, versions: [] });
        byKind.get(key)!.versions.push(version);
      }
    }
  }
  if (byKind.size === 0) throw new UnexpectedPackageLayoutError(packageDir, `declares no kind of ${[...groups].join(', ')}`);
  const kinds = [...byKind.values()]
    .map((entry) => ({ ...entry, versions: entry.versions.sort((a, b) => a.name.localeCompare(b.name)) }))
    .sort((a, b) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind));
  return { source: `${PACKAGE_NAME}@${pkg.version}`, istioVersion: sourceIstioVersion(pkg, packageDir), kinds };
}

const BANNER = `// Code generated by cdk8s/charts/istio-crds/generate.ts from ${PACKAGE_NAME}. DO NOT EDIT.
// After changing the package version run \`node --import tsx cdk8s/charts/istio-crds/generate.ts\`.
import type { PackagedIstioApi } from './generate.js';
`;

/** The TypeScript module for `api`. Pure. */
export function generatedModule(api: PackagedIstioApi): string {
  return `${BANNER}\nexport const PACKAGED_ISTIO_API: PackagedIstioApi = ${JSON.stringify(api, null, 2)};\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(GENERATED_PATH, generatedModule(readPackagedIstioApi()));
  process.stdout.write(`Generated ${GENERATED_PATH}\n`);
}
