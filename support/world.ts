/**
 * The Cucumber World: per-scenario state (the guarantee the scenario is tagged with, its verdicts) over the
 * run-wide state (`run.ts`: the environment, evidence and recorded drills). Steps stay thin: they ask the World
 * for evidence to describe, for a drill's timeline, and for the verdict of the SAME check `ha-validate` runs.
 */
import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import type { CertificateInfo, CordaEvidence, Evidence, FabricEvidence, SettingKey, Timeline } from './evidence/model.ts';
import { ORIGIN_DEFAULT, ORIGIN_GHERKIN, SETTINGS, settingOf, showValue, withSettings } from './evidence/settings.ts';
import type { Check, Verdict } from './checks/types.ts';
import { byId, evaluateCheck } from './checks/catalogue.ts';
import { mergeLive } from './validate.ts';
import { currentRun, type Run } from './run.ts';
import { BrokenError, SkipError } from './errors.ts';
import { attachCsv, attachJson, attachSvg, attachText, outcomeOf, type StepOutcome } from './steps-helpers.ts';
import { describeScope, scopeKey, scopeTimeline, type Scope } from './timeline-scope.ts';
import { timelineSvg, type ChartBound } from './report/timeline-chart.ts';

export interface HaWorldParameters {
  /** the environment the profile runs against (`local`, `existing`); HA_ENVIRONMENT overrides it */
  environment?: string;
}

/** `@FAB-ORD-02`, `@CORDA-LB-03`: the tag that names a guarantee */
export const GUARANTEE_TAG = /^@((?:FAB|CORDA)-[A-Z]+-\d+)$/;

export function guaranteeOfTags(tags: readonly string[]): string[] {
  return tags.map((t) => GUARANTEE_TAG.exec(t)?.[1]).filter((id): id is string => Boolean(id));
}

export class HaWorld extends World<HaWorldParameters> {
  /** the guarantee ID of the scenario, from its tag */
  guarantee?: string;
  tags: string[] = [];
  /** the Allure description (scenario text, source, remediation), given to the test by the first step */
  description?: string;
  /** set by a Before hook: the first step skips with this reason (see steps-helpers.ts) */
  pendingSkip?: string;
  /** the part of a drill this scenario judges (a region), set by the step that names it */
  scope?: Scope;
  /** the settings the scenario's own steps state ("at least 7 consenters"), read before it runs (hooks.ts) */
  scenarioSettings: Partial<Record<SettingKey, number>> = {};
  /** numbers of the scenario's steps that are not valid settings, with why */
  settingProblems: string[] = [];
  private readonly verdicts = new Map<string, Promise<Verdict>>();
  private readonly attached = new Set<string>();

  constructor(options: IWorldOptions<HaWorldParameters>) {
    super(options);
  }

  /**
   * The observation this scenario judges: the guarantee's own, or a named variant of it (`@partition` → the
   * `<ID>:partition` drill, which only environments with real networks can run), judged by the same check.
   */
  get observationKey(): string {
    return this.tags.includes('@partition') ? `${this.check.id}:partition` : this.check.id;
  }

  get run(): Run {
    return currentRun();
  }

  get check(): Check {
    if (!this.guarantee) {
      throw new BrokenError(`this scenario has no guarantee tag (like @FAB-ORD-02): tags are ${this.tags.join(' ') || 'none'}`);
    }
    const check = byId(this.guarantee);
    if (!check) throw new BrokenError(`the scenario is tagged @${this.guarantee}, which is not in the check catalogue`);
    return check;
  }

  /** static and live evidence of the target, collected once per run */
  evidence(): Evidence {
    return this.run.requireEvidence();
  }

  /**
   * The evidence as this scenario judges it: the target's, with the numbers of the scenario's steps as settings
   * (they win over the descriptor's and the environment's: a scenario judges what it says).
   */
  judgedEvidence(): Evidence {
    return withSettings(this.evidence(), this.scenarioSettings, ORIGIN_GHERKIN);
  }

  fabric(): FabricEvidence {
    const fabric = this.evidence().fabric;
    if (!fabric) throw new SkipError(`the target ${this.evidence().target.name} describes no Fabric deployment`);
    return fabric;
  }

  corda(): CordaEvidence {
    const corda = this.evidence().corda;
    if (!corda) throw new SkipError(`the target ${this.evidence().target.name} describes no Corda deployment`);
    return corda;
  }

  async note(text: string): Promise<void> {
    await attachText('Note', text);
  }

  /** Attach a slice of the evidence for the reader (display only: judging is the check's job). */
  async show(name: string, value: unknown): Promise<void> {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) {
      await attachText(name, 'none in the evidence of this target');
      return;
    }
    await attachJson(name, value);
  }

  /**
   * A step that states a setting: when the target's own settings (descriptor or environment) say otherwise, note
   * that the scenario's value is the one judged, and what `ha-validate` would apply instead.
   */
  async noteSetting(key: SettingKey): Promise<void> {
    const stated = this.scenarioSettings[key];
    if (stated === undefined) return;
    const target = settingOf(this.evidence(), key);
    if (target.origin !== ORIGIN_DEFAULT && target.value !== stated) {
      await this.note(
        `this scenario states ${showValue(key, stated)} for ${key} (${SETTINGS[key].what}), and judges with it; ` +
          `the target's settings say ${target.text}, which is what ha-validate applies`,
      );
    }
  }

  /**
   * The recorded timeline of this scenario's observation, cut down to `scope` (a region), recorded once per run.
   * Undefined when the environment cannot observe it and the check can judge without it (static evidence);
   * a SkipError with the reason when the check cannot.
   */
  async timeline(scope: Scope | undefined = this.scope): Promise<Timeline | undefined> {
    if (scope) this.scope = scope;
    const check = this.check;
    const run = this.run;
    run.requireEvidence();
    if (scope?.region) {
      const regions = this.evidence().fabric?.regions ?? [];
      if (regions.length && !regions.includes(scope.region)) {
        throw new SkipError(`the target has no region ${scope.region} (its regions: ${regions.join(', ')})`);
      }
    }
    const observed = await run.observe(this.observationKey, { settings: this.judgedEvidence().settings });
    if ('skip' in observed) {
      if (!check.kinds.includes('static')) throw new SkipError(`${check.id}: ${observed.skip}`);
      await this.attachOnce(`skip:${check.id}`, () => this.note(`${check.id} is judged on static evidence only: ${observed.skip}`));
      return undefined;
    }
    const timeline = scopeTimeline(observed.timeline, scope);
    const suffix = scope?.region ? ` (${describeScope(scope)})` : '';
    await this.attachOnce(`timeline:${scopeKey(scope)}`, async () => {
      await attachJson(`${check.id} timeline${suffix}`, timeline);
    });
    return timeline;
  }

  /** The verdict of this scenario's check on the target's evidence (and its timeline, if it has one). Cached. */
  verdict(scope: Scope | undefined = this.scope): Promise<Verdict> {
    const key = scopeKey(scope);
    let v = this.verdicts.get(key);
    if (!v) {
      v = this.evaluate(scope);
      this.verdicts.set(key, v);
    }
    return v;
  }

  private async evaluate(scope?: Scope): Promise<Verdict> {
    const check = this.check;
    let evidence = this.judgedEvidence();
    const run = this.run;
    const staticToo = check.kinds.includes('static');
    let judged: Timeline | undefined;
    if (run.hasObservation(this.observationKey) || check.kinds.includes('drill') || this.observationKey !== check.id) {
      // a drill or a sampling window: recorded once per run, judged from its timeline
      judged = await this.timeline(scope);
      if (judged) evidence = mergeLive(evidence, { timelines: { [check.id]: judged } });
    } else {
      const unavailable = run.unavailable(check.id);
      if (unavailable && !staticToo) throw new SkipError(`${check.id}: ${unavailable}`);
      if (unavailable) await this.attachOnce(`skip:${check.id}`, () => this.note(`${check.id} is judged on static evidence only: ${unavailable}`));
      if (run.liveProblem && !staticToo) throw new BrokenError(`${check.id} needs live evidence: ${run.liveProblem}`);
    }
    // evaluateCheck is what ha-validate runs for each check: an exception inside a check becomes a verdict.
    const verdict = evaluateCheck(check, evidence);
    await attachText(`${check.id} verdict: ${verdict.status}`, verdict.message);
    await attachJson(`${check.id} evidence`, verdict.evidence);
    const certs = certificateRows(check, evidence);
    if (certs) await this.attachOnce('certificates', () => attachCsv(`${check.id} certificates`, certs));
    if (judged) {
      // the chart after the verdict, so that it shows the bound the verdict applied
      const timeline = judged;
      const suffix = scope?.region ? ` (${describeScope(scope)})` : '';
      await this.attachOnce(`chart:${scopeKey(scope)}`, () => attachSvg(`${check.id} timeline chart${suffix}`, timelineSvg(timeline, { bound: chartBound(verdict) })));
    }
    return verdict;
  }

  /**
   * Judge a step that states settings (`{ minConsenters: 7 }`, the step's own numbers): the scenario was read for
   * them before it ran, so they are already in force; a step whose number is not (a bad value) is an input problem.
   */
  async judgeWith(stated: Partial<Record<SettingKey, number>>): Promise<StepOutcome> {
    if (this.settingProblems.length) throw new BrokenError(`the scenario states an invalid setting: ${this.settingProblems.join('; ')}`);
    for (const [key, value] of Object.entries(stated) as Array<[SettingKey, number]>) {
      if (this.scenarioSettings[key] !== value) {
        throw new BrokenError(`harness bug: the step states ${key} = ${value} but the scenario was read as ${this.scenarioSettings[key] ?? 'not stating it'}`);
      }
      await this.noteSetting(key);
    }
    return this.judge();
  }

  /** Judge this scenario's guarantee and turn the verdict into the step's outcome (see steps-helpers.ts). */
  async judge(scope: Scope | undefined = this.scope): Promise<StepOutcome> {
    return outcomeOf(await this.verdict(scope));
  }

  private async attachOnce(key: string, attach: () => Promise<void>): Promise<void> {
    if (this.attached.has(key)) return;
    this.attached.add(key);
    await attach();
  }
}

/** The bound a drill verdict applied, as the chart draws it: from its fault, or from every fault of a region loss. */
export function chartBound(verdict: Verdict): ChartBound | undefined {
  const e = verdict.evidence as { boundMs?: unknown; boundOrigin?: unknown; faultAt?: unknown } | null;
  if (!e || typeof e.boundMs !== 'number') return undefined;
  const origin = typeof e.boundOrigin === 'string' ? ` (${e.boundOrigin})` : '';
  return { ms: e.boundMs, label: `bound ${e.boundMs} ms${origin}`, ...(typeof e.faultAt === 'number' ? { from: [e.faultAt] } : {}) };
}

/** A table of the certificates a certificate check looked at, or undefined when the check is about something else. */
export function certificateRows(check: Check, evidence: Evidence): string[][] | undefined {
  if (!check.needs.includes('fabric.certificates') || !evidence.fabric) return undefined;
  const rows: string[][] = [['who', 'what', 'subject', 'issuer', 'serial', 'DNS names', 'not after', 'verified by', 'source']];
  const add = (who: string, what: string, c: CertificateInfo | undefined) => {
    if (!c) return;
    rows.push([who, what, c.subject, c.issuer, c.serialNumber, c.dnsNames.join(' '), c.notAfter, c.verifiedBy ?? (c.verifiedBy === null ? 'none' : ''), c.source]);
  };
  const f = evidence.fabric;
  if (check.id === 'FAB-CERT-01') {
    // the certificates the channel configurations carry, per organization
    for (const ch of f.channels) {
      for (const org of [...ch.applicationOrgs, ...ch.ordererOrgs]) {
        const who = `${ch.name} ${org.mspId ?? org.name}`;
        for (const [what, certs] of [
          ['root CA', org.rootCerts],
          ['intermediate CA', org.intermediateCerts],
          ['TLS root CA', org.tlsRootCerts],
          ['TLS intermediate CA', org.tlsIntermediateCerts],
          ['admin', org.admins],
        ] as const) {
          for (const c of certs ?? []) add(who, what, c);
        }
      }
    }
  } else if (check.id.startsWith('FAB-ORD')) {
    for (const o of f.orderers) {
      add(o.name, 'TLS', o.tlsCert);
      add(o.name, 'enrolment', o.enrollmentCert);
    }
    for (const ch of f.channels) {
      ch.consenters.forEach((c, i) => add(`${ch.name} consenter ${i} (${c.host}:${c.port})`, 'server TLS', c.serverTlsCert));
    }
  } else {
    for (const org of f.orgs) {
      for (const p of org.peers) {
        add(p.name, 'TLS', p.tlsCert);
        add(p.name, 'enrolment', p.enrollmentCert);
      }
    }
  }
  for (const [address, c] of Object.entries(evidence.live.presentedCerts ?? {})) add(address, 'presented on handshake', c);
  return rows.length > 1 ? rows : undefined;
}

setWorldConstructor(HaWorld);
