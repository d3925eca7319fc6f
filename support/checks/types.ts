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

export interface Check {
  id: string;
  title: string;
  area: Area;
  /** the kinds of evidence this check can judge; the first is its main one */
  kinds: Kind[];
  source: { seed: string; document: string; section: string };
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
