/**
 * The embedded local environment: a Corda hot-cold pair (PostgreSQL, two stand-in nodes, HAProxy) and a Fabric
 * multi-region layout (etcd Raft members as ordering nodes, TLS peers, HAProxy gateway Services) on loopback
 * addresses, started once and released on stop, on failure and on Ctrl-C. It writes the target descriptor of
 * what it started, so the checks judge it exactly as they judge any deployment.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LiveEvidence } from '../../evidence/model.ts';
import type { Environment, EnvironmentSettings, StartedEnvironment } from '../types.ts';
import type { Observation } from '../../drills/observation.ts';
import type { LocalPart, StartedLocalPart } from './part.ts';
import { Resources, reapOrphans } from '../common/resources.ts';
import { loadTarget } from '../../descriptor/load.ts';
import { cordaPart } from './corda/index.ts';
import { fabricPart } from './fabric/index.ts';

export const localParts: LocalPart[] = [cordaPart, fabricPart];

export interface LocalOptions {
  /** a broken variant by name (see `localVariants()`), or undefined for the reference */
  variant?: string;
  /** which parts to start; both by default */
  parts?: Array<'corda' | 'fabric'>;
  /** compressed timings and knobs, passed to every part (each documents its keys) */
  settings?: Record<string, unknown>;
  log?: (line: string) => void;
}

export function localVariants(): Record<string, string> {
  const all: Record<string, string> = {};
  for (const p of localParts) for (const [k, v] of Object.entries(p.variants)) all[k] = `${p.name}: ${v}`;
  return all;
}

function mergeSections(parts: StartedLocalPart[], runId: string, variant: string | undefined): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    apiVersion: 'ha-conformance/v1',
    name: variant ? `local-${variant}` : 'local-reference',
    disposable: true,
  };
  for (const p of parts) {
    for (const [key, value] of Object.entries(p.descriptor)) {
      const prev = doc[key];
      if (prev && typeof prev === 'object' && !Array.isArray(prev) && value && typeof value === 'object' && !Array.isArray(value)) {
        const merged: Record<string, unknown> = { ...(prev as Record<string, unknown>) };
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const pv = merged[k];
          merged[k] = pv && typeof pv === 'object' && !Array.isArray(pv) && v && typeof v === 'object' ? { ...(pv as object), ...(v as object) } : v;
        }
        doc[key] = merged;
      } else if (Array.isArray(prev) && Array.isArray(value)) {
        doc[key] = [...prev, ...value];
      } else {
        doc[key] = value;
      }
    }
  }
  doc.live = { ...((doc.live as object) ?? {}), runId };
  return doc;
}

export function localEnvironment(options: LocalOptions = {}): Environment {
  const log = options.log ?? (() => undefined);
  const wanted = localParts.filter((p) => !options.parts || options.parts.includes(p.name));
  return {
    name: 'local',
    async preflight() {
      const problems: string[] = [];
      if (options.variant && !(options.variant in localVariants())) {
        problems.push(`unknown local variant "${options.variant}"; known: ${Object.keys(localVariants()).join(', ')}`);
      }
      return problems;
    },
    async start(): Promise<StartedEnvironment> {
      const reaped = await reapOrphans();
      if (reaped.processes.length || reaped.dirs.length) {
        log(`reaped ${reaped.processes.length} process(es) and ${reaped.dirs.length} temp dir(s) left by an earlier interrupted run`);
      }
      const resources = new Resources();
      const started: StartedLocalPart[] = [];
      try {
        const settings = options.settings ?? {};
        for (const part of wanted) {
          for (const line of await part.preflight()) log(`${part.name}: ${line}`);
        }
        // Parts start one after the other: two cores, and clearer progress output.
        for (const part of wanted) {
          const t = Date.now();
          log(`starting the ${part.name} part${options.variant ? ` (variant ${options.variant})` : ''}`);
          started.push(await part.start({ resources, variant: options.variant, settings, log }));
          log(`${part.name} part ready in ${Date.now() - t} ms`);
        }
        const dir = await resources.tempDir('target');
        const descriptorFile = join(dir, 'target.yaml');
        const doc = mergeSections(started, resources.runId, options.variant);
        // The parts' per-run secrets (e.g. the database password) are `${HA_LOCAL_…}` references set in this
        // process; write them to an owner-only env file beside the descriptor, so `ha-validate` in another shell
        // can read the descriptor without the secret ever being printed.
        const names = [...new Set([...stringify(doc).matchAll(/\$\{(HA_LOCAL_[A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].filter((n) => process.env[n]);
        if (names.length) {
          await writeFile(join(dir, 'secrets.env'), names.map((n) => `${n}=${process.env[n]}\n`).join(''), { mode: 0o600 });
          doc.envFile = 'secrets.env';
        }
        await writeFile(descriptorFile, stringify(doc));
        const descriptor = await loadTarget(descriptorFile, process.env);
        const observations: Record<string, Observation> = Object.assign({}, ...started.map((p) => p.observations));
        const unavailable: Record<string, string> = Object.assign({}, ...started.map((p) => p.unavailable));
        const checkSettings: EnvironmentSettings = Object.assign({}, ...started.map((p) => p.checkSettings ?? {}));
        let stopped = false;
        return {
          name: 'local',
          runId: resources.runId,
          descriptorFile,
          descriptor,
          disposable: true,
          observations,
          unavailable,
          settings: checkSettings,
          standIns: Object.fromEntries(wanted.map((p) => [p.name, p.standIn])),
          // Each part reads its own live evidence (the Fabric part its peers' handshakes and heights, the Corda part
          // its lease row): the descriptor-driven collectors of `ha-validate --live` would only repeat that work here.
          async collectLive(): Promise<Partial<LiveEvidence>> {
            return Object.assign({}, ...(await Promise.all(started.map((p) => p.collectLive()))));
          },
          async stop() {
            if (stopped) return;
            stopped = true;
            for (const p of [...started].reverse()) await p.stop().catch((err) => log(`stopping a part: ${(err as Error).message}`));
            await resources.releaseAll();
          },
        };
      } catch (err) {
        for (const p of [...started].reverse()) await p.stop().catch(() => undefined);
        await resources.releaseAll().catch(() => undefined);
        throw err;
      }
    },
  };
}
