/**
 * The catalogue: one check per guarantee ID, in the order of docs/guarantees.md (the spec generated from these
 * checks by `npm run docs`). `evaluateAll` is the one way to run checks: whatever happens inside a check becomes a
 * verdict, never a crash.
 */
import type { Evidence } from '../evidence/model.ts';
import { GuaranteeViolation, SkipError, errorMessage } from '../errors.ts';
import type { Check, Verdict } from './types.ts';
import { verdict } from './types.ts';

import { check as fabOrd01 } from './fab-ord-01.ts';
import { check as fabOrd02 } from './fab-ord-02.ts';
import { check as fabOrd03 } from './fab-ord-03.ts';
import { check as fabOrd04 } from './fab-ord-04.ts';
import { check as fabOrd05 } from './fab-ord-05.ts';
import { check as fabOrd06 } from './fab-ord-06.ts';
import { check as fabOrd07 } from './fab-ord-07.ts';
import { check as fabOrd08 } from './fab-ord-08.ts';
import { check as fabOrd09 } from './fab-ord-09.ts';
import { check as fabOrd10 } from './fab-ord-10.ts';
import { check as fabOrd11 } from './fab-ord-11.ts';
import { check as fabOrd12 } from './fab-ord-12.ts';
import { check as fabOrd13 } from './fab-ord-13.ts';
import { check as fabCert01 } from './fab-cert-01.ts';
import { check as fabCap01 } from './fab-cap-01.ts';
import { check as fabPeer01 } from './fab-peer-01.ts';
import { check as fabPeer02 } from './fab-peer-02.ts';
import { check as fabPeer03 } from './fab-peer-03.ts';
import { check as fabPeer04 } from './fab-peer-04.ts';
import { check as fabPeer05 } from './fab-peer-05.ts';
import { check as fabPeer06 } from './fab-peer-06.ts';
import { check as fabGw01 } from './fab-gw-01.ts';
import { check as fabGw02 } from './fab-gw-02.ts';
import { check as fabGw03 } from './fab-gw-03.ts';
import { check as fabGw04 } from './fab-gw-04.ts';
import { check as cordaId01 } from './corda-id-01.ts';
import { check as cordaCfg01 } from './corda-cfg-01.ts';
import { check as cordaCfg02 } from './corda-cfg-02.ts';
import { check as cordaDb01 } from './corda-db-01.ts';
import { check as cordaFs01 } from './corda-fs-01.ts';
import { check as cordaHa01 } from './corda-ha-01.ts';
import { check as cordaHa02 } from './corda-ha-02.ts';
import { check as cordaLb01 } from './corda-lb-01.ts';
import { check as cordaLb02 } from './corda-lb-02.ts';
import { check as cordaLb03 } from './corda-lb-03.ts';

export const catalogue: Check[] = [
  fabOrd01,
  fabOrd02,
  fabOrd03,
  fabOrd04,
  fabOrd05,
  fabOrd06,
  fabOrd07,
  fabOrd08,
  fabOrd09,
  fabOrd10,
  fabOrd11,
  fabOrd12,
  fabOrd13,
  fabCert01,
  fabCap01,
  fabPeer01,
  fabPeer02,
  fabPeer03,
  fabPeer04,
  fabPeer05,
  fabPeer06,
  fabGw01,
  fabGw02,
  fabGw03,
  fabGw04,
  cordaId01,
  cordaCfg01,
  cordaCfg02,
  cordaDb01,
  cordaFs01,
  cordaHa01,
  cordaHa02,
  cordaLb01,
  cordaLb02,
  cordaLb03,
];

const index = new Map(catalogue.map((c) => [c.id.toUpperCase(), c]));

/** the check for a guarantee ID (case-insensitive), or undefined */
export function byId(id: string): Check | undefined {
  return index.get(id.trim().toUpperCase());
}

/** the IDs among `ids` that name no check, so a caller can reject them as input before running anything */
export function unknownIds(ids: readonly string[]): string[] {
  return ids.filter((id) => !byId(id));
}

/** runs one check; an exception inside it becomes a verdict (skip, violation or `broken`), never a crash */
export function evaluateCheck(check: Check, evidence: Evidence): Verdict {
  try {
    const v = check.evaluate(evidence);
    if (!v || typeof v !== 'object' || !['passed', 'failed', 'broken', 'skipped'].includes(v.status)) {
      return verdict.broken(check.id, `${check.id}: the check returned no verdict (a harness bug)`, null);
    }
    return v.id === check.id ? v : { ...v, id: check.id };
  } catch (err) {
    if (err instanceof SkipError) return verdict.skipped(check.id, err.message);
    if (err instanceof GuaranteeViolation) return verdict.failed(check.id, err.message, err.evidence ?? null);
    return verdict.broken(check.id, `${check.id}: the check could not evaluate the evidence: ${errorMessage(err)}`, {
      error: err instanceof Error ? err.name : typeof err,
    });
  }
}

/**
 * Verdicts for the given IDs (all, in catalogue order, when absent). An unknown ID gets a `broken` verdict that
 * says so; use `unknownIds` first to treat it as an input error instead.
 */
export function evaluateAll(evidence: Evidence, ids?: readonly string[], checks: readonly Check[] = catalogue): Verdict[] {
  if (!ids) return checks.map((c) => evaluateCheck(c, evidence));
  const lookup = new Map(checks.map((c) => [c.id.toUpperCase(), c]));
  return ids.map((id) => {
    const c = lookup.get(id.trim().toUpperCase());
    return c ? evaluateCheck(c, evidence) : verdict.broken(id, `no check with ID ${id} in the catalogue`, null);
  });
}
