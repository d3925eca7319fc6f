import type { Evidence } from '../evidence/model.ts';

export type Status = 'passed' | 'failed' | 'broken' | 'skipped';

export interface Verdict {
  id: string;
  status: Status;
  /** one or two sentences a person reads: names the offending object and the evidence used */
  message: string;
  /** the evidence the verdict rests on (plain JSON, no secrets) */
  evidence: unknown;
}

export type Area = 'fabric' | 'corda';
/** static: configuration only; live: needs running processes; drill: needs a fault injected */
export type Kind = 'static' | 'live' | 'drill';
/** Allure's severities */
export type Severity = 'blocker' | 'critical' | 'normal' | 'minor' | 'trivial';

/** Names of the evidence a check reads; used to explain a skip and by the reports. */
export type EvidenceNeed =
  | 'fabric.channels'
  | 'fabric.orderers'
  | 'fabric.orgs'
  | 'fabric.kubernetes'
  | 'fabric.kubeProxyMode'
  | 'fabric.certificates'
  | 'corda.nodes'
  | 'corda.loadBalancer'
  | 'corda.database'
  | `live.${string}`;

/** A citation of a public document (see `sources.ts`): where the guarantee is written down. */
export interface Source {
  /** who publishes the document, and in which collection */
  publisher: string;
  title: string;
  /** the heading cited; a document's opening (above its first heading) is cited by its title */
  section: string;
  /** the published page, with the section's anchor where it has one */
  url: string;
}

/** How a check sees its guarantee; null where it cannot be seen that way. */
export interface EvidenceSpec {
  /** from configuration: manifests, channel configs, certificates, node.conf, load-balancer exports */
  static: string | null;
  /** from running processes (read-only), or from a drill's recorded timeline */
  live: string | null;
}

/**
 * One guarantee of the catalogue and the check that judges it. The fields up to `remediation` are the spec
 * (docs/guarantees.md and `ha-validate --list` are generated from them), in the project's own words.
 */
export interface Check {
  id: string;
  /** the guarantee in one line */
  title: string;
  area: Area;
  /** the kinds of evidence this check can judge; the first is its main one */
  kinds: Kind[];
  /** what must hold, in full */
  guarantee: string;
  evidence: EvidenceSpec;
  /** one violation the check catches (fixtures/violations/<ID>-* or a local variant shows it) */
  violation: string;
  /** the public documents the guarantee comes from; the first is the main one */
  sources: [Source, ...Source[]];
  /** the module recording the timeline this check judges (a drill, or a sampling window), from the repository root */
  drill?: string;
  severity: Severity;
  remediation: string;
  needs: EvidenceNeed[];
  /** pure: no I/O, no clock (use evidence.settings.now) */
  evaluate(evidence: Evidence): Verdict;
}

/** Small helpers so every check words its verdicts the same way. */
export const verdict = {
  passed: (id: string, message: string, evidence: unknown): Verdict => ({ id, status: 'passed', message, evidence }),
  failed: (id: string, message: string, evidence: unknown): Verdict => ({ id, status: 'failed', message, evidence }),
  broken: (id: string, message: string, evidence: unknown): Verdict => ({ id, status: 'broken', message, evidence }),
  skipped: (id: string, message: string, evidence: unknown = null): Verdict => ({ id, status: 'skipped', message, evidence }),
};
