// Which version changes meshloom accepts. The CRD's transition rules refuse the same skews between the stored
// and the new spec.version at `kubectl apply`; this check runs in the reconciler against the versions the
// cluster still runs (status), which CEL cannot see: an edit made while an earlier one is still rolling out, a
// revision kept for its pods, or a catalogue that no longer lists a version. Pure.
import { supportedVersions } from '../api/catalogue.js';

/** Istio supports moving the control plane one minor version in place, two with a canary revision. */
const MAX_MINOR_STEP = { InPlace: 1, RevisionBased: 2 } as const;
/** And downgrading one minor version. */
const MAX_MINOR_DOWNGRADE = 1;

export type VersionRule = 'VersionNotInCatalogue' | 'DowngradeTooFar' | 'UpgradeSkewTooLarge';

/** A refused spec.version: the reconcile applies nothing and reports `rule` as the Reconciled reason. */
export class VersionRefusedError extends Error {
  constructor(
    readonly rule: VersionRule,
    readonly version: string,
    message: string,
  ) {
    super(message);
    this.name = 'VersionRefusedError';
  }
}

export interface VersionPolicyInput {
  /** spec.version. */
  version: string;
  strategy: 'InPlace' | 'RevisionBased';
  /** Versions some revision of the installation still runs (from its status). */
  running: readonly string[];
  /** The catalogue; the real one unless a test passes its own. */
  supported?: readonly string[];
}

interface Release {
  major: number;
  minor: number;
}

function release(version: string): Release | undefined {
  const match = /^(\d+)\.(\d+)\.\d+$/.exec(version);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/** Minor versions from `from` up to `to` (negative: down); a change of major version counts as unbounded. */
function minorSteps(from: Release, to: Release): number {
  if (from.major !== to.major) return to.major > from.major ? Infinity : -Infinity;
  return to.minor - from.minor;
}

export function checkVersionPolicy(input: VersionPolicyInput): VersionRefusedError | undefined {
  const supported = input.supported ?? supportedVersions();
  const { version, strategy } = input;
  if (!supported.includes(version)) {
    return new VersionRefusedError(
      'VersionNotInCatalogue',
      version,
      `Istio ${version} is not in meshloom's catalogue, so nothing was changed; set spec.version to one of: ${supported.join(', ')}`,
    );
  }
  const desired = release(version)!;
  for (const running of new Set(input.running)) {
    const from = release(running);
    if (!from) continue;
    const steps = minorSteps(from, desired);
    if (steps < -MAX_MINOR_DOWNGRADE) {
      return new VersionRefusedError(
        'DowngradeTooFar',
        version,
        `Istio ${running} still runs and ${version} is more than ${MAX_MINOR_DOWNGRADE} minor version below it, so nothing was changed; downgrade one minor version at a time`,
      );
    }
    if (steps > MAX_MINOR_STEP[strategy]) {
      const advice =
        strategy === 'InPlace'
          ? 'upgrade one minor version at a time, or use updateStrategy.type RevisionBased (up to two)'
          : 'upgrade in steps of at most two minor versions';
      return new VersionRefusedError(
        'UpgradeSkewTooLarge',
        version,
        `Istio ${running} still runs and ${version} is more than ${MAX_MINOR_STEP[strategy]} minor version(s) above it, which ${strategy} upgrades do not support, so nothing was changed; ${advice}`,
      );
    }
  }
  return undefined;
}
