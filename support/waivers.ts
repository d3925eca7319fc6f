/**
 * Waivers: violations a deployment's owners have accepted for a while, declared in the target descriptor
 * (`waivers:`, see support/descriptor/types.ts `WaiverSpec`). A waiver never changes a check's verdict: it changes how a
 * failed result is reported and whether it fails the gate.
 *
 * - A failed result is reported as `waived` (not failing the gate) when every problem it lists is covered by a
 *   waiver in force for its guarantee: one without a scope covers every problem, one with a scope covers the
 *   problems that name the scope as a whole name (`org1` covers "org1: …", not "org10" or "org1-peer2").
 *   A failure whose message lists more problems than it shows ("…; and 3 more") cannot be covered by scoped
 *   waivers: the hidden problems could be anything.
 * - An expired waiver covers nothing, so the violation fails again, and every format says the waiver expired.
 * - Every waiver is reported with what became of it (applied, expired, not needed, not covering, not run): none is
 *   dropped silently.
 *
 * Expiry is judged against the run's reference time (`settings.now` when the descriptor pins it, else the clock),
 * the same time the certificate checks use.
 */
import type { Status } from './checks/types.ts';
import type { WaiverSpec } from './descriptor/types.ts';

/** how a result is reported: the check's own status, or `waived` for an accepted violation */
export type ReportStatus = Status | 'waived';

export type WaiverState = 'applied' | 'expired' | 'not-needed' | 'not-covering' | 'not-run';

export interface WaiverOutcome {
  id: string;
  scope?: string;
  justification: string;
  expires: string;
  /** the first instant the waiver no longer holds (ISO-8601) */
  expiresAt: string;
  state: WaiverState;
  /** what became of it, in one sentence */
  note: string;
  declaredIn: { file: string; field: string };
}

/** A result as the waivers see it. */
interface Judged {
  id: string;
  status: Status;
  message: string;
}

export type Waived<T extends Judged> = Omit<T, 'status'> & {
  status: ReportStatus;
  /** the check's own verdict, when it is reported otherwise (`waived`) */
  verdict?: Status;
  /** the waivers for this guarantee and what became of each */
  waivers?: WaiverOutcome[];
};

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The first instant (ms since the epoch) a waiver no longer holds: the day after a `YYYY-MM-DD` date (so the date
 * itself is the last day, UTC), or the given time (UTC when it names no offset). Undefined when not a real date.
 */
export function waiverExpiry(text: string): number | undefined {
  const d = DATE_ONLY.exec(text.trim());
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const t = new Date(Date.UTC(y, m - 1, day));
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== day) return undefined;
    return Date.UTC(y, m - 1, day + 1);
  }
  let iso = text.trim().replace(' ', 'T');
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) iso += 'Z';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

const SUMMARIZED_MORE = /^and \d+ more$/;

/**
 * The problems a failure message lists: the checks join them with "; " and end a long list with "; and N more"
 * (support/checks/common.ts `summarize`). `complete` is false when some were not shown.
 */
export function problemsOf(message: string): { problems: string[]; complete: boolean } {
  const parts = message.split('; ').map((p) => p.trim()).filter(Boolean);
  const last = parts[parts.length - 1];
  if (last !== undefined && SUMMARIZED_MORE.test(last)) return { problems: parts.slice(0, -1), complete: false };
  return { problems: parts, complete: true };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether a problem names `scope` as a whole name: not as part of a longer name (`org1` in `org10`, `org1-peer2`,
 * `org1.example.com`) and not as a path segment (`k8s/r1/pods.yaml`). Case-sensitive, like the names themselves.
 */
export function namesScope(problem: string, scope: string): boolean {
  const re = new RegExp(`(?<![A-Za-z0-9_./-])${escapeRegExp(scope)}(?![A-Za-z0-9_/-]|\\.[A-Za-z0-9])`);
  return re.test(problem);
}

function day(ms: number): string {
  return new Date(ms - 1).toISOString().slice(0, 10);
}

/**
 * Applies the descriptor's waivers to a run's results. `ran` are the guarantee IDs the run evaluated (a waiver for
 * one that was not run is reported as `not-run`). Results keep their order; the outcomes keep the waivers' order.
 */
export function applyWaivers<T extends Judged>(results: T[], waivers: readonly WaiverSpec[], nowMs: number): { results: Array<Waived<T>>; outcomes: WaiverOutcome[] } {
  const outcomes: WaiverOutcome[] = waivers.map((w) => {
    const end = waiverExpiry(w.expires) ?? Number.NEGATIVE_INFINITY;
    const base: WaiverOutcome = {
      id: w.id,
      justification: w.justification,
      expires: w.expires,
      expiresAt: Number.isFinite(end) ? new Date(end).toISOString() : w.expires,
      state: 'not-run',
      note: `${w.id} was not run (--only)`,
      declaredIn: w.declaredIn,
    };
    if (w.scope !== undefined) base.scope = w.scope;
    return base;
  });
  const byGuarantee = new Map<string, number[]>();
  waivers.forEach((w, i) => {
    const key = w.id.toUpperCase();
    byGuarantee.set(key, [...(byGuarantee.get(key) ?? []), i]);
  });

  const out = results.map((r): Waived<T> => {
    const mine = byGuarantee.get(r.id.toUpperCase());
    if (!mine) return r;
    const inForce: number[] = [];
    for (const i of mine) {
      const end = waiverExpiry(waivers[i].expires);
      if (end !== undefined && nowMs < end) {
        inForce.push(i);
        continue;
      }
      const endText = end === undefined ? waivers[i].expires : day(end);
      outcomes[i].state = 'expired';
      outcomes[i].note =
        r.status === 'failed'
          ? `expired on ${endText}: it no longer covers the failed ${r.id}, which fails again; fix the violation or renew the waiver with a new justification`
          : `expired on ${endText} and not needed (${r.id} ${r.status}): remove it`;
    }
    const report = (status: ReportStatus): Waived<T> => {
      const w = mine.map((i) => outcomes[i]);
      return status === r.status ? { ...r, waivers: w } : { ...r, status, verdict: r.status, waivers: w };
    };
    if (r.status !== 'failed') {
      for (const i of inForce) {
        outcomes[i].state = 'not-needed';
        outcomes[i].note =
          r.status === 'broken'
            ? `does not apply: ${r.id} is broken (the harness could not look); waivers cover violations only`
            : `not needed: ${r.id} ${r.status}`;
      }
      return report(r.status);
    }

    // a failure is waived when every problem it lists is covered by a waiver in force
    const { problems, complete } = problemsOf(r.message);
    const unscoped = inForce.filter((i) => waivers[i].scope === undefined);
    const scoped = inForce.filter((i) => waivers[i].scope !== undefined);
    const used = new Set<number>(unscoped);
    let uncovered: string[] = [];
    if (!unscoped.length) {
      for (const p of problems) {
        const covering = scoped.filter((i) => namesScope(p, waivers[i].scope!));
        covering.forEach((i) => used.add(i));
        if (!covering.length) uncovered.push(p);
      }
      if (!complete) uncovered = [...uncovered, '(problems the message does not show)'];
    }
    const waived = inForce.length > 0 && uncovered.length === 0;
    for (const i of inForce) {
      const w = waivers[i];
      if (waived && used.has(i)) {
        outcomes[i].state = 'applied';
        outcomes[i].note = w.scope === undefined ? `covers the failed ${r.id}` : `covers the problems of the failed ${r.id} that name ${w.scope}`;
      } else if (waived) {
        outcomes[i].state = 'not-needed';
        outcomes[i].note = `not needed: no problem of the failed ${r.id} names ${w.scope}`;
      } else {
        outcomes[i].state = 'not-covering';
        outcomes[i].note = !complete
          ? `cannot cover the failed ${r.id}: its message lists more problems than it shows, and a scoped waiver covers only those naming ${w.scope}`
          : `does not cover the failed ${r.id}: ${uncovered.length} of its ${problems.length} problems name no waived scope (${uncovered[0]})`;
      }
    }
    return report(waived ? 'waived' : 'failed');
  });
  return { results: out, outcomes };
}
