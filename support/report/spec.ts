/**
 * The spec of the catalogue, generated from the checks: per guarantee its metadata (title, severity, kinds, what
 * must hold, evidence, a violation, the public sources, remediation) and where it lives in the repository (check
 * file, scenarios by their `@ID` tag, violation fixtures, drill module, the local/docker variants that break it).
 * `npm run docs` writes it to docs/guarantees.md; `ha-validate --list --format markdown|json` prints it; a test
 * fails when docs/guarantees.md differs from it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSources } from '@cucumber/cucumber/api';
import { catalogue } from '../checks/catalogue.ts';
import { DOCS, sectionLabel } from '../checks/sources.ts';
import type { Check, EvidenceSpec, Severity, Source } from '../checks/types.ts';
import { variantsBreaking, type VariantEnvironment } from '../environments/variants.ts';
import { featureOf } from './labels.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUARANTEES_DOC = 'docs/guarantees.md';

export interface ScenarioRef {
  /** feature file, from the repository root */
  feature: string;
  line: number;
  /** the scenario's name as written (an outline's with its <placeholders>) */
  name: string;
}

export interface GuaranteeSpec {
  id: string;
  title: string;
  area: Check['area'];
  severity: Severity;
  kinds: Check['kinds'];
  guarantee: string;
  evidence: EvidenceSpec;
  violation: string;
  sources: Source[];
  remediation: string;
  needs: string[];
  /** where the guarantee lives in the repository (paths from its root) */
  map: {
    check: string;
    scenarios: ScenarioRef[];
    fixtures: Array<{ folder: string; broken: string }>;
    drill: string | null;
    variants: Array<{ name: string; environments: VariantEnvironment[]; description: string }>;
  };
}

/** The scenarios tagged `@<id>`, found with Cucumber's own tag filter (so a tag means what it means to `--tags`). */
async function scenariosOf(id: string, root: string): Promise<ScenarioRef[]> {
  const { plan, errors } = await loadSources(
    { defaultDialect: 'en', paths: ['features/**/*.feature'], names: [], tagExpression: `@${id}`, order: 'defined' },
    { cwd: root },
  );
  if (errors.length) throw new Error(`the features do not parse: ${errors.map((e) => JSON.stringify(e)).join('; ')}`);
  const found = new Map<string, ScenarioRef>();
  const texts = new Map<string, string[]>();
  for (const pickle of plan) {
    let lines = texts.get(pickle.uri);
    if (!lines) {
      lines = (await readFile(join(root, pickle.uri), 'utf8')).split('\n');
      texts.set(pickle.uri, lines);
    }
    // A pickle of a Scenario Outline sits on its Examples row: its scenario is the nearest scenario line above.
    let line = pickle.location.line;
    while (line > 1 && !SCENARIO_LINE.test(lines[line - 1])) line--;
    const m = SCENARIO_LINE.exec(lines[line - 1]);
    const ref = { feature: pickle.uri, line, name: m ? m[2].trim() : pickle.name };
    found.set(`${ref.feature}:${ref.line}`, ref);
  }
  return [...found.values()];
}

const SCENARIO_LINE = /^\s*(Scenario Outline|Scenario Template|Scenario|Example):(.*)$/;

async function fixturesOf(id: string, root: string): Promise<GuaranteeSpec['map']['fixtures']> {
  const base = join(root, 'fixtures', 'violations');
  const folders = (await readdir(base).catch(() => [] as string[])).filter((f) => f === id || f.startsWith(`${id}-`)).sort();
  return Promise.all(
    folders.map(async (f) => {
      const text = await readFile(join(base, f, 'target.yaml'), 'utf8').catch(() => '');
      const broken = /^# What is broken: (.*)$/m.exec(text)?.[1]?.trim() ?? '';
      return { folder: `fixtures/violations/${f}/`, broken };
    }),
  );
}

/** The spec of every check of `checks` (the catalogue by default), in catalogue order. */
export async function catalogueSpec(checks: readonly Check[] = catalogue, root = REPO_ROOT): Promise<GuaranteeSpec[]> {
  return Promise.all(
    checks.map(async (c) => ({
      id: c.id,
      title: c.title,
      area: c.area,
      severity: c.severity,
      kinds: c.kinds,
      guarantee: c.guarantee,
      evidence: c.evidence,
      violation: c.violation,
      sources: c.sources,
      remediation: c.remediation,
      needs: c.needs,
      map: {
        check: `support/checks/${c.id.toLowerCase()}.ts`,
        scenarios: await scenariosOf(c.id, root),
        fixtures: await fixturesOf(c.id, root),
        drill: c.drill ?? null,
        variants: variantsBreaking(c.id).map((v) => ({ name: v.name, environments: [...v.environments], description: v.description })),
      },
    })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

/** Markdown text: `<` and `>` outside code spans are escaped (an outline's `<region>` is not an HTML tag). */
const text = (s: string): string =>
  s
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('`');
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => `\`${s}\``;
const pageOf = (s: Source): string => s.url.split('#')[0];

/** the citations grouped by document: `publisher, "[title](page)": [section](url), …` */
function sourcesLine(sources: readonly Source[]): string {
  const byDocument = new Map<string, Source[]>();
  for (const s of sources) byDocument.set(pageOf(s), [...(byDocument.get(pageOf(s)) ?? []), s]);
  return [...byDocument.values()]
    .map((cited) => `${cited[0].publisher}, "[${text(cited[0].title)}](${pageOf(cited[0])})": ${cited.map((s) => `[${text(sectionLabel(s))}](${s.url})`).join(', ')}`)
    .join('; ');
}

function entry(g: GuaranteeSpec): string[] {
  const none = '—';
  const where: Array<[string, string]> = [
    ['check', code(g.map.check)],
    ['scenario', g.map.scenarios.map((s) => `${code(`${s.feature}:${s.line}`)} ${text(s.name)}`).join('<br>') || none],
    ['violation fixtures', g.map.fixtures.map((f) => `${code(f.folder)}${f.broken ? ` ${text(f.broken)}` : ''}`).join('<br>') || none],
    ['drill module', g.map.drill ? code(g.map.drill) : none],
    ['variants that break it', g.map.variants.map((v) => `${code(v.name)} (${v.environments.join(', ')}): ${text(v.description)}`).join('<br>') || none],
  ];
  return [
    `### ${g.id}`,
    '',
    `**${text(g.title)}** · ${g.severity} · ${g.kinds.join(', ')}`,
    '',
    `- **Must hold:** ${text(g.guarantee)}`,
    `- **Static evidence:** ${g.evidence.static ? text(g.evidence.static) : none}`,
    `- **Live evidence:** ${g.evidence.live ? text(g.evidence.live) : none}`,
    `- **A violation it catches:** ${text(g.violation)}`,
    `- **Source${g.sources.length > 1 ? 's' : ''}:** ${sourcesLine(g.sources)}`,
    `- **Remediation:** ${text(g.remediation)}`,
    '',
    '| where | |',
    '|---|---|',
    ...where.map(([k, v]) => `| ${k} | ${cell(v)} |`),
    '',
  ];
}

/** docs/guarantees.md */
export function renderSpecMarkdown(specs: readonly GuaranteeSpec[]): string {
  const cited = new Set(specs.flatMap((g) => g.sources.map(pageOf)));
  const documents = Object.values(DOCS).filter((d) => cited.has(d.url));
  const groups = new Map<string, GuaranteeSpec[]>();
  for (const g of specs) {
    const group = `${g.area === 'fabric' ? 'Fabric' : 'Corda'}: ${featureOf(g.id)}`;
    groups.set(group, [...(groups.get(group) ?? []), g]);
  }
  const lines = [
    '# The guarantees',
    '',
    '<!-- Generated by `npm run docs` from the check catalogue (support/checks/). Edit the checks, not this file:',
    '     test/checks/spec.test.ts fails when the two differ. -->',
    '',
    'Every guarantee ha-conformance checks, one entry per stable ID. The ID is the same in the check',
    '(`support/checks/<id>.ts`), in the Gherkin tag (`@FAB-ORD-02`), in every report and in error messages, so a',
    'failure points back to its entry here and to the public document the guarantee comes from.',
    '',
    'Each entry says what must hold, how the check sees it **statically** (configuration: manifests, channel',
    'configurations, certificates, `node.conf`, load-balancer exports) and **live** (running processes, read-only),',
    'one violation it catches, and how to fix it. A **drill** judges a timeline recorded while a fault is injected:',
    'it runs only where the target is disposable or the operator passed HA_ALLOW_DISRUPTIVE=1. The table under each',
    'entry maps it to the repository: its check, its scenario, the violation fixtures that break it',
    '(`fixtures/violations/`), the module that records its timeline, and the broken variants of the local and docker',
    'environments (`HA_LOCAL_VARIANT`) whose scenarios fail it.',
    '',
    '## The reference topology',
    '',
    'Fixtures and the embedded local environment use one conformant layout, so that every guarantee holds at once:',
    'three regions (r1, r2, r3), each a Kubernetes cluster; five ordering nodes placed 2-1-2; organization org1 runs',
    'two peers in r1 and two in r2, org2 two in r2 and two in r3; in each cluster, each organization present has one',
    'gateway Service over its two local peers; every peer is an anchor peer of its organization on every channel.',
    'Corda: a primary and a backup on two machines, one shared database, one shared artemis drive, one load balancer.',
    '',
    '## Sources',
    '',
    ...documents.map((d) => `- ${d.publisher}: [${text(d.title)}](${d.url})`),
    '',
    '## Index',
    '',
    '| ID | guarantee | kinds | severity |',
    '|---|---|---|---|',
    ...specs.map((g) => `| [${g.id}](#${g.id.toLowerCase()}) | ${cell(text(g.title))} | ${g.kinds.join(', ')} | ${g.severity} |`),
    '',
  ];
  for (const [group, members] of groups) {
    lines.push(`## ${group}`, '');
    for (const g of members) lines.push(...entry(g));
  }
  return lines.join('\n');
}
