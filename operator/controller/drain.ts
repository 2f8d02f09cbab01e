// The DrainSafe condition: every gateway's grace period exceeds its drain (the CRD's CEL rule already
// refuses anything else, this reports it), and sidecar pods are held to the same rule by the webhook unless
// the policy is Warn, which lets unsafe pods through.
import type { ResolvedSpec } from '../api/profiles.js';
import { parseGoDuration } from '../../webhooks/drain.js';
import type { DrainAssessment } from './status.js';

export function assessDrain(spec: ResolvedSpec): DrainAssessment {
  const unsafe = spec.gateways.filter((g) => {
    const drain = parseGoDuration(g.drain.duration);
    return drain === undefined || g.terminationGracePeriodSeconds <= drain;
  });
  if (unsafe.length > 0) {
    return {
      safe: false,
      reason: 'GatewayGraceTooShort',
      message: `Gateway(s) ${unsafe.map((g) => g.name).join(', ')} would be killed before their drain ends: raise terminationGracePeriodSeconds above drain.duration`,
    };
  }
  const policy = spec.injection.gracePeriodPolicy;
  if (spec.injection.enabled && policy === 'Warn') {
    return {
      safe: false,
      reason: 'SidecarPolicyWarnOnly',
      message: 'injection.gracePeriodPolicy is Warn: sidecar pods whose grace period does not exceed their drain are admitted; use Adjust or Reject',
    };
  }
  return { safe: true, reason: 'GracePeriodsExceedDrain', message: `Every gateway's grace period exceeds its drain; sidecar pods are checked with policy ${policy}` };
}
