/**
 * Where a result points in the files a reviewer edits: the evidence files its message names (a manifest, a
 * node.conf, a channel block), with the line when it can be found (a Kubernetes object `file#Kind/name`, a YAML
 * field `file#a.b[0]`), and the line of the target descriptor that names each of them (following `extends`), so
 * code scanning can annotate the descriptor even when the evidence is binary. For SARIF (support/report/sarif.ts).
 *
 * Read-only and best effort: a file that cannot be read or parsed gives a location without a line, never an error.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, type Document, type Node } from 'yaml';
import { isRecord } from '../evidence/input.ts';
import { expandHome } from '../descriptor/load.ts';

export interface FileLocation {
  /** absolute path */
  file: string;
  /** 1-based, when known */
  line?: number;
  /** the field or object the location is about: `fabric.channels[0].config`, `Service/org1-peer-gateway-svc` */
  field?: string;
}

/** Absolute paths named in a text (messages name their sources in parentheses), each with its `#fragment`. */
export function pathsIn(text: string): Array<{ file: string; fragment?: string }> {
  const out: Array<{ file: string; fragment?: string }> = [];
  for (const m of text.matchAll(/(?<![\w:/.-])(\/[^\s,;()'"]+)/g)) {
    const raw = m[1].replace(/[.:]+$/, '');
    const hash = raw.indexOf('#');
    const file = hash >= 0 ? raw.slice(0, hash) : raw;
    const fragment = hash >= 0 ? raw.slice(hash + 1) : undefined;
    if (file.length > 1 && !out.some((o) => o.file === file && o.fragment === fragment)) out.push(fragment ? { file, fragment } : { file });
  }
  return out;
}

/** Every `source` string in a verdict's evidence that is an absolute path (with its fragment). */
export function sourcesIn(evidence: unknown, limit = 50): Array<{ file: string; fragment?: string }> {
  const found: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (found.length >= limit || depth > 12) return;
    if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'source' || k === 'file') && typeof x === 'string' && x.startsWith('/')) found.push(x);
        else walk(x, depth + 1);
      }
    }
  };
  walk(evidence, 0);
  return pathsIn(found.join(' '));
}

/** `a.b[0]."x.y"` → ['a', 'b', 0, 'x.y'] */
export function fieldSegments(field: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of field.matchAll(/\[(\d+)\]|"((?:[^"\\]|\\.)*)"|([^.[\]"]+)/g)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(`"${m[2]}"`) as string);
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}

interface YamlFile {
  docs: Document[];
  lines: LineCounter;
}

/** Reads files once per report. */
export class LocationFinder {
  private readonly yaml = new Map<string, Promise<YamlFile | undefined>>();
  private readonly exists = new Map<string, Promise<boolean>>();
  private readonly refs = new Map<string, Promise<Array<{ value: string; location: FileLocation }>>>();

  isFile(file: string): Promise<boolean> {
    let p = this.exists.get(file);
    if (!p) this.exists.set(file, (p = stat(file).then((s) => s.isFile(), () => false)));
    return p;
  }

  private parsed(file: string): Promise<YamlFile | undefined> {
    let p = this.yaml.get(file);
    if (!p) {
      p = readFile(file, 'utf8').then(
        (text) => {
          const lines = new LineCounter();
          const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
          return { docs: Array.isArray(docs) ? docs : [docs as unknown as Document], lines };
        },
        () => undefined,
      );
      this.yaml.set(file, p);
    }
    return p;
  }

  private lineOf(y: YamlFile, node: Node | null | undefined): number | undefined {
    const start = node?.range?.[0];
    return start === undefined ? undefined : y.lines.linePos(start).line;
  }

  /** The line of a field (`a.b[0]`) in a YAML file's first document. */
  async fieldLine(file: string, field: string): Promise<number | undefined> {
    const y = await this.parsed(file);
    const doc = y?.docs[0];
    if (!y || !doc) return undefined;
    const node = doc.getIn(fieldSegments(field), true) as Node | undefined;
    return this.lineOf(y, node);
  }

  /** The line of the Kubernetes object `Kind/name` in a multi-document manifest. */
  async objectLine(file: string, kindName: string): Promise<number | undefined> {
    const [kind, name] = kindName.split('/');
    const y = await this.parsed(file);
    if (!y || !name) return undefined;
    for (const doc of y.docs) {
      if (doc.get('kind') === kind && doc.getIn(['metadata', 'name']) === name) return this.lineOf(y, doc.contents as Node);
    }
    return undefined;
  }

  /** An evidence file, with the line of its fragment when it is a YAML file and the fragment can be found. */
  async evidence(ref: { file: string; fragment?: string }): Promise<FileLocation | undefined> {
    if (!(await this.isFile(ref.file))) return undefined;
    const loc: FileLocation = { file: ref.file };
    if (!ref.fragment) return loc;
    loc.field = ref.fragment;
    if (['.yaml', '.yml'].includes(extname(ref.file).toLowerCase())) {
      const line = /^[A-Z][A-Za-z]*\/[^/]+$/.test(ref.fragment) ? await this.objectLine(ref.file, ref.fragment) : await this.fieldLine(ref.file, ref.fragment);
      if (line) loc.line = line;
    }
    return loc;
  }

  /**
   * Every string of a descriptor and of the descriptors it `extends`, with where it is written: the values that
   * name files (resolved against the declaring file's folder, as the loader resolves them).
   */
  private descriptorStrings(descriptor: string): Promise<Array<{ value: string; location: FileLocation }>> {
    let p = this.refs.get(descriptor);
    if (!p) {
      p = (async () => {
        const out: Array<{ value: string; location: FileLocation }> = [];
        const seen = new Set<string>();
        let file: string | undefined = resolve(descriptor);
        while (file && !seen.has(file)) {
          seen.add(file);
          let text: string;
          try {
            text = await readFile(file, 'utf8');
          } catch {
            break;
          }
          const lines = new LineCounter();
          const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
          const declaredIn = file;
          const visit = (node: unknown, path: string): void => {
            if (isMap(node)) {
              for (const pair of node.items) {
                const key = isScalar(pair.key) ? String(pair.key.value) : '';
                visit(pair.value, path ? `${path}.${key}` : key);
              }
            } else if (isSeq(node)) {
              node.items.forEach((item, i) => visit(item, `${path}[${i}]`));
            } else if (isScalar(node) && typeof node.value === 'string' && node.range) {
              out.push({ value: node.value, location: { file: declaredIn, line: lines.linePos(node.range[0]).line, field: path } });
            }
          };
          visit(doc.contents, '');
          const ext = doc.get('extends');
          file = typeof ext === 'string' && ext.trim() ? resolve(dirname(file), expandHome(ext.trim())) : undefined;
        }
        return out;
      })();
      this.refs.set(descriptor, p);
    }
    return p;
  }

  /** The descriptor lines that name `file` (a file field, or a folder of manifests that holds it). */
  async descriptorReferences(descriptor: string, file: string): Promise<FileLocation[]> {
    const strings = await this.descriptorStrings(descriptor);
    const exact: FileLocation[] = [];
    const folders: FileLocation[] = [];
    for (const s of strings) {
      if (s.value.includes('${') || /^[a-z]+:\/\//i.test(s.value)) continue;
      const abs = isAbsolute(expandHome(s.value)) ? resolve(expandHome(s.value)) : resolve(dirname(s.location.file), s.value);
      if (abs === file) exact.push(s.location);
      else if (file.startsWith(`${abs}/`) && /\.manifests\[\d+\]$/.test(s.location.field ?? '')) folders.push(s.location);
    }
    return exact.length ? exact : folders;
  }

  /** The line of a field of the descriptor (or of the layer that declares it). */
  async descriptorField(file: string, field: string): Promise<FileLocation> {
    const line = await this.fieldLine(file, field);
    return line ? { file, line, field } : { file, field };
  }
}
