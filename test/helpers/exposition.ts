/**
 * A strict reader of the Prometheus text exposition format (0.0.4) for tests of `ha-validate serve`: every line is
 * a HELP, a TYPE or a sample; a family's HELP and TYPE come once, before its samples; metric and label names are
 * valid; label values are properly escaped; no two samples have the same name and labels. Returns the problems
 * found and the samples (with unescaped label values).
 */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;

function parseLabels(text: string, problems: string[], where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (eq < 0 || !LABEL_NAME.test(name)) {
      problems.push(`${where}: bad label name at ${JSON.stringify(text.slice(i))}`);
      return labels;
    }
    if (text[eq + 1] !== '"') {
      problems.push(`${where}: label ${name} has no quoted value`);
      return labels;
    }
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else problems.push(`${where}: label ${name} has the escape \\${next}`);
      } else value += text[j];
    }
    if (j >= text.length) {
      problems.push(`${where}: label ${name} is not closed`);
      return labels;
    }
    if (name in labels) problems.push(`${where}: label ${name} twice`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) {
      problems.push(`${where}: expected "," after label ${name}`);
      return labels;
    }
  }
  return labels;
}

export function readExposition(text: string): { samples: ExpositionSample[]; types: Record<string, string>; problems: string[] } {
  const problems: string[] = [];
  const samples: ExpositionSample[] = [];
  const types: Record<string, string> = {};
  const helped = new Set<string>();
  const seen = new Set<string>();
  const sampled = new Set<string>();
  if (text && !text.endsWith('\n')) problems.push('the text does not end with a line feed');
  text.split('\n').forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) problems.push(`${where}: bad metric name ${name}`);
      if (sampled.has(name)) problems.push(`${where}: ${kind} for ${name} after its samples`);
      if (kind === 'HELP') {
        if (helped.has(name)) problems.push(`${where}: second HELP for ${name}`);
        helped.add(name);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) problems.push(`${where}: bad escape in HELP`);
      } else {
        if (types[name]) problems.push(`${where}: second TYPE for ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) problems.push(`${where}: bad type ${rest}`);
        types[name] = rest;
      }
      return;
    }
    if (line.startsWith('#')) return;
    const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) {
      problems.push(`${where}: not a sample: ${line}`);
      return;
    }
    const [, name, labelText, value] = m;
    if (!NAME.test(name)) problems.push(`${where}: bad metric name ${name}`);
    if (!VALUE.test(value)) problems.push(`${where}: bad value ${value}`);
    if (!types[name]) problems.push(`${where}: ${name} has no TYPE before its samples`);
    const labels = labelText ? parseLabels(labelText, problems, where) : {};
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) problems.push(`${where}: a second sample ${name} with the same labels`);
    seen.add(key);
    sampled.add(name);
    samples.push({ name, labels, value: value === 'NaN' ? NaN : value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value) });
  });
  return { samples, types, problems };
}
