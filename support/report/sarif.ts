/**
 * SARIF 2.1.0 for release gates and code scanning (`ha-validate --format sarif`): one run per target, whose tool
 * has one rule per guarantee of the catalogue (title, source, remediation as help, default level from severity);
 * one result per violated guarantee (kind `fail`, level from severity) located at the evidence files its message
 * names — with the line of the Kubernetes object or YAML field when it can be found — and at the descriptor lines
 * that name them; waived violations carry an accepted external suppression with the waiver's justification, so
 * code scanning shows them as dismissed rather than dropping them. Checks that could not look (`broken`) and
 * waivers that expired or cover nothing are tool execution notifications; passed and skipped checks are counted in
 * the run's properties (code scanning would show every result as an alert).
 *
 * File locations are relative to `root` (default: the working directory, a CI job's checkout) under the base id
 * `%SRCROOT%`; files outside it are absolute `file:` URIs. Line 1 stands for "the file" where no line is known:
 * code scanning needs a line to show a result.
 */
import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { catalogue } from '../checks/catalogue.ts';
import type { Check, Severity } from '../checks/types.ts';
import { toolVersion } from '../version.ts';
import type { FailOn, ReportResult, RunReport } from './formats.ts';
import { sourceLinks } from './labels.ts';
import { LocationFinder, pathsIn, sourcesIn, type FileLocation } from './locations.ts';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const SRCROOT = '%SRCROOT%';
/** related locations per result at most: a message naming 200 manifests does not make a 200-location result */
const MAX_LOCATIONS = 10;

export interface SarifOptions {
  /** the folder locations are relative to (default: the working directory) */
  root?: string;
  /** recorded in the run's properties */
  failOn?: FailOn;
}

/** SARIF's level for a guarantee's severity: blockers and critical ones are errors, normal ones warnings. */
export function levelOf(severity: string): Sarif.ReportingConfiguration.level {
  switch (severity as Severity) {
    case 'blocker':
    case 'critical':
      return 'error';
    case 'normal':
      return 'warning';
    default:
      return 'note';
  }
}

function rule(check: Check): Sarif.ReportingDescriptor {
  const links = sourceLinks(check);
  const level = levelOf(check.severity);
  return {
    id: check.id,
    name: check.id,
    shortDescription: { text: check.title },
    fullDescription: { text: `${check.guarantee} Source: ${links.map((l) => l.name).join('; ')}.` },
    help: {
      text: `${check.remediation}\n\nSources: ${links.map((l) => `${l.name} (${l.url})`).join('; ')}`,
      markdown: `**Remediation.** ${check.remediation}\n\n**Sources.** ${links.map((l) => `[${l.name}](${l.url})`).join('; ')}`,
    },
    helpUri: links[0]?.url,
    defaultConfiguration: { level },
    properties: {
      tags: ['ha-conformance', check.area, ...check.kinds],
      severity: check.severity,
      precision: 'high',
      'problem.severity': level === 'error' ? 'error' : level === 'warning' ? 'warning' : 'recommendation',
    },
  };
}

class Locator {
  readonly finder = new LocationFinder();
  constructor(readonly root: string) {}

  artifact(file: string): Sarif.ArtifactLocation {
    const rel = relative(this.root, file);
    if (rel && !rel.startsWith('..') && !rel.startsWith(sep)) return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
    return { uri: pathToFileURL(file).href };
  }

  location(loc: FileLocation, text?: string): Sarif.Location {
    const out: Sarif.Location = { physicalLocation: { artifactLocation: this.artifact(loc.file), region: { startLine: loc.line ?? 1 } } };
    if (loc.field) out.logicalLocations = [{ fullyQualifiedName: loc.field, kind: /^[A-Z][A-Za-z]*\//.test(loc.field) ? 'resource' : 'property' }];
    if (text) out.message = { text };
    return out;
  }

  /** The evidence files a result names (its message first, else its evidence's sources) and the descriptor lines naming them. */
  async of(report: RunReport, r: ReportResult): Promise<{ primary: Sarif.Location; related: Sarif.Location[] }> {
    const named = pathsIn(r.message);
    const refs = named.length ? named : sourcesIn(r.evidence);
    const evidence: FileLocation[] = [];
    for (const ref of refs) {
      if (evidence.length >= MAX_LOCATIONS) break;
      const loc = await this.finder.evidence(ref);
      if (loc && !evidence.some((e) => e.file === loc.file && e.field === loc.field)) evidence.push(loc);
    }
    const descriptorRefs: Array<{ loc: FileLocation; names: string }> = [];
    for (const e of evidence) {
      if (e.file === report.target.file) continue;
      for (const d of await this.finder.descriptorReferences(report.target.file, e.file)) {
        if (!descriptorRefs.some((x) => x.loc.file === d.file && x.loc.line === d.line)) descriptorRefs.push({ loc: d, names: e.file });
      }
    }
    // evidence with a line first, then the descriptor lines naming evidence, then evidence files without a line
    // (a channel block is binary: code scanning shows the descriptor line that names it)
    const all: Sarif.Location[] = [
      ...evidence.map((e) => this.location(e, e.line ? `${e.field} in this file` : undefined)),
      ...descriptorRefs.map((d) => this.location(d.loc, `the target descriptor names ${relative(this.root, d.names) || d.names} here (${d.loc.field})`)),
    ].sort((a, b) => rank(a) - rank(b));
    if (!all.length) all.push(this.location(await this.finder.descriptorField(report.target.file, sectionOf(r.id)), 'the target descriptor'));
    const [primary, ...related] = all.slice(0, MAX_LOCATIONS);
    return { primary, related: related.map((l, i) => ({ ...l, id: i + 1 })) };
  }
}

function rank(l: Sarif.Location): number {
  if (l.message?.text?.startsWith('the target descriptor')) return 1;
  return l.message?.text ? 0 : 2;
}

/** the descriptor section a guarantee reads, for a result that names no file */
function sectionOf(id: string): string {
  return id.startsWith('CORDA') ? 'corda' : 'fabric';
}

function fingerprint(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

async function run(report: RunReport, locator: Locator, options: SarifOptions): Promise<Sarif.Run> {
  const ruleIndex = new Map(catalogue.map((c, i) => [c.id, i]));
  const results: Sarif.Result[] = [];
  const notifications: Sarif.Notification[] = [];
  for (const r of report.results) {
    const index = ruleIndex.get(r.id);
    const ruleRef = index === undefined ? {} : { ruleIndex: index };
    if (r.status === 'broken') {
      notifications.push({ level: 'error', message: { text: `${r.id} could not look: ${r.message}` }, associatedRule: { id: r.id, ...(index === undefined ? {} : { index }) } });
      continue;
    }
    if (r.status !== 'failed' && r.status !== 'waived') continue;
    const { primary, related } = await locator.of(report, r);
    const result: Sarif.Result = {
      ruleId: r.id,
      ...ruleRef,
      kind: 'fail',
      level: levelOf(r.severity),
      message: { text: r.message },
      locations: [primary],
      partialFingerprints: { 'haConformance/v1': fingerprint(report.target.name, r.id, primary.physicalLocation?.artifactLocation?.uri ?? '') },
      properties: { target: report.target.name, severity: r.severity, status: r.status },
    };
    if (related.length) result.relatedLocations = related;
    const applied = (r.waivers ?? []).filter((w) => w.state === 'applied');
    if (r.status === 'waived') {
      result.suppressions = [];
      for (const w of applied) {
        const at = await locator.finder.descriptorField(w.declaredIn.file, w.declaredIn.field);
        result.suppressions.push({
          kind: 'external',
          status: 'accepted',
          justification: `${w.justification} (waived until ${w.expires}${w.scope ? ` for ${w.scope}` : ''})`,
          location: locator.location(at, `waiver ${w.declaredIn.field}`),
        });
      }
    }
    results.push(result);
  }
  for (const w of report.waivers) {
    if (w.state !== 'expired' && w.state !== 'not-covering') continue;
    const at = await locator.finder.descriptorField(w.declaredIn.file, w.declaredIn.field);
    notifications.push({
      level: w.state === 'expired' ? 'warning' : 'note',
      message: { text: `waiver for ${w.id}${w.scope ? ` (${w.scope})` : ''}, until ${w.expires}: ${w.note}` },
      locations: [locator.location(at)],
      associatedRule: { id: w.id },
    });
  }
  const start = new Date(report.startedAt);
  const invocation: Sarif.Invocation = {
    executionSuccessful: report.summary.broken === 0,
    startTimeUtc: start.toISOString(),
    endTimeUtc: new Date(start.getTime() + report.durationMs).toISOString(),
  };
  if (notifications.length) invocation.toolExecutionNotifications = notifications;
  const version = toolVersion();
  return {
    tool: {
      driver: {
        name: 'ha-validate',
        fullName: `ha-validate (ha-conformance ${version})`,
        version,
        semanticVersion: version,
        rules: catalogue.map(rule),
      },
    },
    automationDetails: { id: `ha-validate/${report.target.name}/` },
    originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(locator.root).href.replace(/\/?$/, '/')}` } },
    invocations: [invocation],
    results,
    properties: {
      target: { name: report.target.name, descriptor: locator.artifact(report.target.file).uri },
      summary: report.summary,
      ...(options.failOn ? { failOn: options.failOn } : {}),
      waivers: report.waivers.map((w) => ({ id: w.id, scope: w.scope, expires: w.expires, state: w.state, note: w.note, justification: w.justification })),
    },
  };
}

/** The SARIF log of one or several targets' reports. */
export async function formatSarif(reports: RunReport | RunReport[], options: SarifOptions = {}): Promise<string> {
  const locator = new Locator(options.root ?? process.cwd());
  const runs: Sarif.Run[] = [];
  for (const report of Array.isArray(reports) ? reports : [reports]) runs.push(await run(report, locator, options));
  const log: Sarif.Log = { $schema: SARIF_SCHEMA, version: '2.1.0', runs };
  return JSON.stringify(log, null, 2) + '\n';
}
