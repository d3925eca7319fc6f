/**
 * A HAProxy configuration file → `LoadBalancerInfo`: one rule per frontend bind (frontend or listen section) to
 * its backend, one pool per backend (server addresses), one probe per backend whose servers are checked
 * (`server ... check inter 200ms fall 2 rise 1 [port N]`; `option httpchk GET /` or `http-check send meth GET
 * uri /` makes it HTTP). HAProxy's defaults apply where a parameter is absent: inter 2 s, fall 3, rise 2.
 */
import { InputError } from '../../errors.ts';
import { showValue } from '../input.ts';
import type { LbPool, LbProbe, LbRule, LoadBalancerInfo, ProbeProtocol } from '../model.ts';

interface CheckParams {
  inter?: number;
  fall?: number;
  rise?: number;
  port?: number;
  ssl?: boolean;
}

interface Server {
  name: string;
  host: string;
  /** the port of the server's address */
  addrPort?: number;
  /** check parameters given on the server line */
  params: CheckParams;
  check: boolean;
  backup: boolean;
  line: number;
}

interface Section {
  type: 'defaults' | 'frontend' | 'backend' | 'listen';
  name: string;
  line: number;
  mode?: string;
  binds: Array<{ address: string; port: number }>;
  defaultBackend?: string;
  useBackends: string[];
  servers: Server[];
  defaultServer: CheckParams;
  httpchk?: { method: string; uri: string };
  tcpCheck?: boolean;
  persistence?: string;
}

const SECTION_KEYWORDS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'peers', 'userlist', 'program', 'http-errors', 'ring', 'mailers', 'cache', 'fcgi-app', 'log-forward']);

/** `200ms`, `2s`, `1m`, `2000` (ms) → milliseconds. */
export function haproxyTime(v: string | undefined, file: string, field: string, line: number): number {
  const m = v === undefined ? null : /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(v);
  if (!m) throw new InputError(file, field, `line ${line}: expected a time such as 200ms or 2s, got ${showValue(v ?? '', { file, field })}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return n * factor[unit];
}

function int(v: string | undefined, file: string, field: string, line: number, what: string, max = 1_000_000): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new InputError(file, field, `line ${line}: expected ${what}, got ${showValue(v ?? '', { file, field })}`);
  const n = Number(v);
  if (n > max || (what === 'a port number' && n < 1)) throw new InputError(file, field, `line ${line}: ${n} is out of range for ${what} (1 to ${max})`);
  return n;
}

function isPort(n: number | undefined): n is number {
  return n !== undefined && n >= 1 && n <= 65535;
}

/** `host:port`, `[v6]:port`, `ipv4@host:port`, `*:port`, `:port`. */
function splitAddress(text: string): { host: string; port?: number } {
  const a = text.replace(/^(ipv4|ipv6|unix|abns|fd|sockpair)@/, '');
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : undefined };
  const i = a.lastIndexOf(':');
  if (i >= 0 && a.indexOf(':') === i) {
    const port = a.slice(i + 1);
    return { host: a.slice(0, i), port: /^\d+$/.test(port) ? Number(port) : undefined };
  }
  return { host: a };
}

function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
      continue;
    }
    if (ch === '#') break;
    if (ch === ' ' || ch === '\t') {
      if (has) out.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += ch;
    has = true;
  }
  if (has) out.push(cur);
  return out;
}

function checkParams(words: string[], start: number, file: string, field: string, line: number, into: CheckParams): void {
  for (let i = start; i < words.length; i++) {
    const w = words[i];
    if (w === 'inter') into.inter = haproxyTime(words[++i], file, `${field}.inter`, line);
    else if (w === 'fall') into.fall = int(words[++i], file, `${field}.fall`, line, 'a count');
    else if (w === 'rise') into.rise = int(words[++i], file, `${field}.rise`, line, 'a count');
    else if (w === 'port') into.port = int(words[++i], file, `${field}.port`, line, 'a port number', 65535);
    else if (w === 'check-ssl') into.ssl = true;
  }
}

function newSection(type: Section['type'], name: string, line: number): Section {
  return { type, name, line, binds: [], useBackends: [], servers: [], defaultServer: {} };
}

export function parseHaproxyConfig(text: string, file: string): LoadBalancerInfo {
  const sections: Section[] = [];
  let defaults = newSection('defaults', '', 0);
  let cur: Section | undefined;
  let other = false; // inside global or another section we do not read
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    const words = tokenize(raw);
    if (words.length === 0) return;
    const kw = words[0];
    if (SECTION_KEYWORDS.has(kw)) {
      other = false;
      cur = undefined;
      if (kw === 'defaults') {
        // a new defaults section replaces the previous one for the sections that follow
        defaults = newSection('defaults', words[1] ?? '', line);
        cur = defaults;
      } else if (kw === 'frontend' || kw === 'backend' || kw === 'listen') {
        if (!words[1]) throw new InputError(file, kw, `line ${line}: a ${kw} section needs a name`);
        cur = newSection(kw, words[1], line);
        // inherit defaults
        cur.mode = defaults.mode;
        cur.defaultServer = { ...defaults.defaultServer };
        if (defaults.httpchk) cur.httpchk = { ...defaults.httpchk };
        cur.tcpCheck = defaults.tcpCheck;
        cur.persistence = defaults.persistence;
        if (kw === 'listen' && words[2]) {
          const a = splitAddress(words[2]);
          if (!isPort(a.port)) throw new InputError(file, `${kw}.${words[1]}.bind`, `line ${line}: expected address:port with a port from 1 to 65535, got ${showValue(words[2], { file })}`);
          cur.binds.push({ address: a.host, port: a.port });
        }
        sections.push(cur);
      } else {
        other = true;
      }
      return;
    }
    if (other) return;
    if (!cur) throw new InputError(file, `line ${line}`, `${showValue(kw, { file })} outside of any section (expected global, defaults, frontend, backend or listen first)`);
    const field = cur.type === 'defaults' ? 'defaults' : `${cur.type}.${cur.name}`;
    switch (kw) {
      case 'mode':
        cur.mode = words[1];
        break;
      case 'bind': {
        if (!words[1]) throw new InputError(file, `${field}.bind`, `line ${line}: bind needs an address`);
        for (const addr of words[1].split(',')) {
          const a = splitAddress(addr);
          if (!isPort(a.port)) throw new InputError(file, `${field}.bind`, `line ${line}: expected address:port with a port from 1 to 65535, got ${showValue(addr, { file })}`);
          cur.binds.push({ address: a.host, port: a.port });
        }
        break;
      }
      case 'default_backend':
        cur.defaultBackend = words[1];
        break;
      case 'use_backend':
        if (words[1]) cur.useBackends.push(words[1]);
        break;
      case 'default-server':
        checkParams(words, 1, file, `${field}.default-server`, line, cur.defaultServer);
        break;
      case 'server': {
        const sname = words[1];
        const addr = words[2];
        const sfield = `${field}.server${sname ? `.${sname}` : ''}`;
        if (!sname || !addr) throw new InputError(file, sfield, `line ${line}: expected "server <name> <address>[:port] [params]"`);
        const a = splitAddress(addr);
        if (a.port !== undefined && !isPort(a.port)) throw new InputError(file, sfield, `line ${line}: port ${a.port} is out of range (1 to 65535)`);
        const params: CheckParams = {};
        checkParams(words, 3, file, sfield, line, params);
        cur.servers.push({ name: sname, host: a.host, addrPort: a.port, params, check: words.includes('check'), backup: words.includes('backup'), line });
        break;
      }
      case 'option':
        if (words[1] === 'httpchk') {
          // option httpchk | option httpchk <uri> | option httpchk <method> <uri> [<version>]
          if (words.length === 2) cur.httpchk = { method: 'OPTIONS', uri: '/' };
          else if (words.length === 3) cur.httpchk = { method: 'OPTIONS', uri: words[2] };
          else cur.httpchk = { method: words[2], uri: words[3] };
        } else if (words[1] === 'tcp-check') {
          cur.tcpCheck = true;
        }
        break;
      case 'http-check':
        if (words[1] === 'send') {
          const meth = words.indexOf('meth');
          const uri = words.indexOf('uri');
          cur.httpchk = { method: meth > 0 ? words[meth + 1] : cur.httpchk?.method ?? 'GET', uri: uri > 0 ? words[uri + 1] : cur.httpchk?.uri ?? '/' };
        }
        break;
      case 'balance':
        if (words[1] === 'source') cur.persistence = 'client-ip';
        break;
      case 'stick':
      case 'stick-table':
        cur.persistence = 'stick-table';
        break;
      case 'cookie':
        cur.persistence = 'cookie';
        break;
      default:
        break;
    }
  });

  const backends = new Map<string, Section>();
  for (const s of sections) if (s.type === 'backend' || s.type === 'listen') backends.set(s.name, s);

  const probes: LbProbe[] = [];
  const pools: LbPool[] = [];
  for (const b of backends.values()) {
    if (b.servers.length === 0) continue;
    pools.push({ name: b.name, members: [...new Set(b.servers.map((s) => s.host))] });
    const checked = b.servers.find((s) => s.check);
    if (!checked) continue;
    const p: CheckParams = { ...b.defaultServer, ...stripUndefined(checked.params) };
    const protocol: ProbeProtocol = b.httpchk ? (p.ssl ? 'https' : 'http') : 'tcp';
    const port = p.port ?? checked.addrPort;
    if (port === undefined) throw new InputError(file, `${b.type}.${b.name}.server.${checked.name}`, `line ${checked.line}: a checked server needs a port (in its address or as "port N")`);
    const probe: LbProbe = {
      name: b.name,
      protocol,
      port,
      intervalSeconds: (p.inter ?? 2000) / 1000,
      unhealthyThreshold: p.fall ?? 3,
      healthyThreshold: p.rise ?? 2,
    };
    if (b.httpchk) probe.path = b.httpchk.uri;
    probes.push(probe);
  }

  const rules: LbRule[] = [];
  let address: string | undefined;
  for (const f of sections) {
    if (f.type !== 'frontend' && f.type !== 'listen') continue;
    const target = f.type === 'listen' && f.servers.length ? f.name : f.defaultBackend ?? f.useBackends[0];
    if (!target) continue;
    const b = backends.get(target);
    if (!b) throw new InputError(file, `${f.type}.${f.name}.default_backend`, `line ${f.line}: backend ${showValue(target, { file })} is not defined`);
    const hasProbe = probes.some((p) => p.name === b.name);
    for (const bind of f.binds) {
      const rule: LbRule = {
        name: f.binds.length > 1 ? `${f.name}:${bind.port}` : f.name,
        protocol: f.mode ?? b.mode ?? 'tcp',
        frontendPort: bind.port,
        backendPort: b.servers[0]?.addrPort ?? bind.port,
        pool: b.name,
        sessionPersistence: b.persistence ?? 'none',
      };
      if (hasProbe) rule.probe = b.name;
      rules.push(rule);
      if (!address && bind.address && bind.address !== '*' && bind.address !== '0.0.0.0' && bind.address !== '::') address = bind.address;
    }
  }
  const info: LoadBalancerInfo = { kind: 'haproxy', source: file, probes, rules, pools };
  if (address) info.address = address;
  return info;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
