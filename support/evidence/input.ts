/**
 * Small helpers shared by the collectors: read a file or report it as an InputError naming the file, parse JSON
 * and YAML with line/column positions, and format field paths the same way everywhere.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments, parseDocument, type Document } from 'yaml';
import { InputError } from '../errors.ts';

/** Read a file as bytes; a missing or unreadable file is an InputError naming it (and the field that named it). */
export async function readBytes(file: string, field = ''): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new InputError(file, field, describeFsError(err), { cause: err });
  }
}

export async function readText(file: string, field = ''): Promise<string> {
  return (await readBytes(file, field)).toString('utf8');
}

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  if (code === 'ENOTDIR') return 'a parent of this path is not a directory';
  return `cannot read (${code ?? String(err)})`;
}

/** 1-based line and column of a character offset. */
export function lineColAt(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: pos - last };
}

/** JSON.parse with an InputError naming the file, line and column (when the engine reports a position). */
export function parseJson(text: string, file: string, what = 'JSON'): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    const found = m ? { pos: Number(m[1]), problem: msg.split('\n')[0].replace(/ in JSON at position \d+.*$/, '') } : jsonErrorAt(text);
    let where = '';
    let problem = msg.split('\n')[0];
    if (found) {
      const { line, col } = lineColAt(text, found.pos);
      where = ` at line ${line}, column ${col}`;
      problem = found.problem;
    }
    throw new InputError(file, '', `malformed ${what}${where}: ${problem}`, { cause: err });
  }
}

/**
 * Where a JSON text first goes wrong. Node 20's JSON.parse does not always say ("Unexpected token '}', ...
 * is not valid JSON"), so a small scanner finds the offset and what was expected there.
 */
export function jsonErrorAt(text: string): { pos: number; problem: string } | undefined {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  class Stop {
    constructor(readonly pos: number, readonly problem: string) {}
  }
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (expected: string): never => {
    throw new Stop(i, i >= text.length ? `unexpected end of input, expected ${expected}` : `unexpected ${JSON.stringify(text[i])}, expected ${expected}`);
  };
  const str = () => {
    if (text[i] !== '"') fail('a string');
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('a closing quote');
      i++;
    }
    if (i >= text.length) fail('a closing quote');
    i++;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ':') fail('":"');
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('"," or "}"');
      }
    } else if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('"," or "]"');
      }
    } else if (ch === '"') {
      str();
    } else {
      const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (!m) fail('a value');
      i += m![0].length;
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail('the end of input');
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { pos: e.pos, problem: e.problem };
    return undefined;
  }
}

function yamlErrorText(file: string, e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }): InputError {
  const pos = e.linePos?.[0];
  const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return new InputError(file, '', `YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${first}`, { cause: e });
}

/** One YAML document → plain JS; syntax errors become an InputError with line and column. */
export function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw yamlErrorText(file, doc.errors[0]);
  return doc.toJS({ maxAliasCount: 1000 });
}

/** A multi-document YAML stream → the documents (empty ones dropped, index kept for field paths). */
export function parseYamlDocuments(text: string, file: string): Array<{ index: number; value: unknown }> {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list: Document[] = Array.isArray(docs) ? docs : [docs as unknown as Document];
  const out: Array<{ index: number; value: unknown }> = [];
  list.forEach((doc, index) => {
    if (doc.errors.length) throw yamlErrorText(file, doc.errors[0]);
    const value = doc.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) out.push({ index, value });
  });
  return out;
}

const IDENT = /^[A-Za-z_$][\w$-]*$/;

/** Append a key or index to a dotted field path: `a.b[2]."dataSource.url"`. */
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const k = IDENT.test(key) ? key : JSON.stringify(key);
  return base ? `${base}.${k}` : k;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short, safe rendering of an offending value for an error message. */
export function showValue(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
