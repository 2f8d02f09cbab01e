// --certificates=CertManager against the real API server. cert-manager itself does not run on the local
// cluster, so the test plays its part: it installs the two CRDs the operator writes to, and, once the
// operator has applied its Certificate, writes the Secret cert-manager would issue. Asserted: the typed
// objects are applied, the issued certificate is served, and caBundle comes from the Secret's ca.crt.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GROUP, LABELS, PLURAL, VERSION } from '../operator/api/names.js';
import { KubeClient, type KubeObject } from '../operator/runtime/kube.js';
import { createCertificateAuthority, issueServingCertificate } from '../webhooks/certificates/authority.js';
import { toCaBundle } from '../webhooks/certificates/pem.js';
import { webhookSubjectAltNames } from '../webhooks/certificates/self-signed.js';
import { loadKubeConfig, uniqueName, waitFor } from './harness/cluster.js';
import { kubectl, kubectlOk } from './harness/kubectl.js';
import { applyCrds, OPERATOR_NAMESPACE, operatorKubeconfig, startOperator, type RunningOperator } from './harness/operator.js';

const kubeConfig = loadKubeConfig();
const client = new KubeClient(kubeConfig);
const SECRET = 'meshloom-webhook-cert-manager-tls';
const CertManager = suite('webhook certificates from cert-manager');
let operator: RunningOperator | undefined;

function certManagerCrd(kind: string, plural: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.cert-manager.io` },
    spec: {
      group: 'cert-manager.io',
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

CertManager.after(async () => {
  await operator?.stop();
  kubectl(['-n', OPERATOR_NAMESPACE, 'delete', 'secret', SECRET, '--ignore-not-found']);
});

CertManager('the operator applies typed Issuer/Certificate objects and serves what cert-manager issues', async () => {
  await applyCrds(kubeConfig);
  for (const crd of [certManagerCrd('Issuer', 'issuers'), certManagerCrd('Certificate', 'certificates')]) await client.apply(crd);
  kubectl(['-n', OPERATOR_NAMESPACE, 'delete', 'secret', SECRET, '--ignore-not-found']);
  operator = await startOperator(await operatorKubeconfig(kubeConfig), ['--certificates=CertManager'], { waitReady: false });

  const certificate = await waitFor(
    () => client.get<KubeObject>({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'meshloom-webhook', namespace: OPERATOR_NAMESPACE } }),
    { timeoutMs: 30_000, description: 'the serving Certificate' },
  );
  const spec = certificate.spec as { secretName: string; issuerRef: { name: string } };
  assert.is(spec.secretName, SECRET);
  assert.is(spec.issuerRef.name, 'meshloom-webhook-ca', 'signed by the bootstrapped CA Issuer');

  // Play cert-manager: issue the certificate for the webhook's names and write the Secret.
  const now = new Date();
  const authority = await createCertificateAuthority('e2e-cert-manager-ca', { now, days: 30 });
  const serving = await issueServingCertificate(authority, webhookSubjectAltNames('meshloom-webhook', OPERATOR_NAMESPACE), { now, days: 30 });
  const data = (text: string) => Buffer.from(text).toString('base64');
  await client.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: SECRET, namespace: OPERATOR_NAMESPACE },
    data: { 'tls.crt': data(serving.cert), 'tls.key': data(serving.key), 'ca.crt': data(authority.cert) },
  });
  await operator.ready();

  const name = uniqueName('certmgr');
  const mesh = (meshName: string, provider: string) =>
    `apiVersion: ${GROUP}/${VERSION}\nkind: MeshInstallation\nmetadata:\n  name: ${meshName}\nspec:\n  version: 1.30.3\n  profile: minimal\n  namespace: ${uniqueName('istio-cm')}\n  injection:\n    enabled: true\n  certificates:\n    provider: ${provider}\n${provider === 'CertManager' ? '    issuerRef: { kind: Issuer, name: meshloom-webhook-ca }\n' : ''}`;
  // The webhook has one certificate for every installation: an installation asking for another provider is refused.
  const mismatched = uniqueName('selfsigned');
  kubectlOk(['apply', '-f', '-'], mesh(mismatched, 'SelfSigned'));
  const refused = await waitFor(
    async () => {
      const m = await client.getClusterObject<{ status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } }>(GROUP, VERSION, PLURAL, mismatched);
      return m?.status?.conditions?.find((c) => c.type === 'Reconciled' && c.reason === 'CertificateProviderMismatch');
    },
    { timeoutMs: 30_000, description: `${mismatched} Reconciled=False CertificateProviderMismatch` },
  );
  assert.match(refused.message, /--certificates=SelfSigned/);
  kubectl(['delete', 'meshinstallation', mismatched, '--wait=true', '--timeout=30s']);

  kubectlOk(['apply', '-f', '-'], mesh(name, 'CertManager'));
  await waitFor(
    async () => {
      const mesh = await client.getClusterObject<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(GROUP, VERSION, PLURAL, name);
      return mesh?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    { timeoutMs: 30_000, description: `${name} Ready` },
  );
  const [mwc] = await client.list<KubeObject & { webhooks: Array<{ clientConfig: { caBundle: string } }> }>(
    'admissionregistration.k8s.io/v1',
    'MutatingWebhookConfiguration',
    `${LABELS.installation}=${name}`,
  );
  assert.is(mwc!.webhooks[0]!.clientConfig.caBundle, toCaBundle(authority.cert), "caBundle is the issued Secret's ca.crt");
  kubectl(['delete', 'meshinstallation', name, '--wait=true', '--timeout=30s']);
});

CertManager.run();
