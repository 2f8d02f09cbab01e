// Annotation validation: which values Istio rejects, and the message it rejects them with.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InjectionValidationError, validateAnnotations } from './validation.js';

const test = suite('validateAnnotations');

function problems(annotations: Record<string, string>): readonly string[] {
  try {
    validateAnnotations(annotations);
    return [];
  } catch (err) {
    assert.instance(err, InjectionValidationError);
    return (err as InjectionValidationError).problems;
  }
}

test('valid values pass, including wildcards and empty lists', () => {
  assert.equal(
    problems({
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '*',
      'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.96.0.0/12,fd00::/8',
      'traffic.sidecar.istio.io/includeInboundPorts': '*',
      'traffic.sidecar.istio.io/excludeInboundPorts': '',
      'traffic.sidecar.istio.io/excludeOutboundPorts': '5432, 6379',
      'status.sidecar.istio.io/port': '15020',
      'readiness.status.sidecar.istio.io/periodSeconds': '5',
      'sidecar.istio.io/interceptionMode': 'NONE',
      'prometheus.istio.io/merge-metrics': 'F',
      'sidecar.istio.io/proxyMemoryLimit': '1Gi',
      'istio.io/reroute-virtual-interfaces': 'net1, net2',
      'proxy.istio.io/config': 'terminationDrainDuration: 30s',
      'unrelated.example.com/x': '***',
    }),
    [],
  );
});

test('IP ranges: Istio’s message with the netip error', () => {
  assert.equal(problems({ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/33' }), [
    `invalid value '10.0.0.0/33' for annotation 'traffic.sidecar.istio.io/includeOutboundIPRanges': includeIPRanges invalid: failed parsing cidr '10.0.0.0/33': netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`,
  ]);
});

test('ports: a wildcard is only allowed for include lists; out-of-range ports fail', () => {
  assert.equal(problems({ 'traffic.sidecar.istio.io/includeInboundPorts': '*' }), []);
  const [excluded] = problems({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '70000' });
  assert.is(
    excluded,
    `invalid value '70000' for annotation 'traffic.sidecar.istio.io/excludeOutboundPorts': excludeOutboundPorts invalid: portList "70000" invalid: failed parsing port "70000": strconv.ParseUint: parsing "70000": value out of range`,
  );
});

test('interface names (1.30): non-empty, at most 15 characters, a letter first', () => {
  assert.equal(problems({ 'traffic.sidecar.istio.io/kubevirtInterfaces': 'net1,,net2' }).length, 1);
  assert.match(problems({ 'traffic.sidecar.istio.io/excludeInterfaces': '1eth' })[0]!, 'contains invalid characters');
});

test('proxy.istio.io/config is checked for what the proxy needs', () => {
  assert.match(problems({ 'proxy.istio.io/config': 'discoveryAddress: istiod' })[0]!, 'invalid discovery address');
  assert.match(problems({ 'proxy.istio.io/config': 'statusPort: 70000' })[0]!, 'invalid status port: port number 70000');
  assert.match(problems({ 'proxy.istio.io/config': 'drainDuration: forever' })[0]!, 'failed to convert to apply proxy config');
});

test('several problems are reported together, sorted by annotation, in multierror format', () => {
  try {
    validateAnnotations({ 'sidecar.istio.io/interceptionMode': 'MAGIC', 'readiness.status.sidecar.istio.io/failureThreshold': '-1' });
    assert.unreachable();
  } catch (err) {
    assert.is(
      (err as Error).message,
      "2 errors occurred:\n\t* invalid value '-1' for annotation 'readiness.status.sidecar.istio.io/failureThreshold': strconv.ParseUint: parsing \"-1\": invalid syntax\n" +
        "\t* invalid value 'MAGIC' for annotation 'sidecar.istio.io/interceptionMode': interceptionMode invalid, use REDIRECT,TPROXY,NONE: MAGIC\n\n",
    );
  }
});

test.run();
