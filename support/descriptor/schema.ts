/**
 * JSON Schema of the target descriptor (after `extends` is merged and `${VAR}` expanded, before defaults).
 * `docs/target-schema.json` is this object written out; `test/descriptor/schema-doc.test.ts` keeps them equal
 * (regenerate with `node --import tsx scripts/write-target-schema.ts`).
 *
 * This is the one place the descriptor's strictness lives: every object rejects unknown keys (the loader suggests
 * the closest known one), lists and the numbers that drive work are bounded, and a path field carries `x-path`
 * (what it must point to and which input limits apply, see docs/input-limits.md), from which the loader resolves
 * and checks paths. A new `live` entry or path field is one declaration here; `settings` declares every check setting from the
 * one table of settings (evidence/settings.ts).
 */
import { SETTINGS, SETTING_KEYS, maximumOf } from '../evidence/settings.ts';

const name = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^\\s]+$' } as const;
const text = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const url = { type: 'string', minLength: 1, maxLength: 2048 } as const;
const secret = { type: 'string', maxLength: 4096 } as const;
const list = (items: object, maxItems: number) => ({ type: 'array', maxItems, items }) as const;
const stringList = (maxItems: number) => list({ type: 'string', minLength: 1, maxLength: 4096 }, maxItems);
/** a map of names to strings */
const stringMap = (maxProperties: number) => ({ type: 'object', maxProperties, propertyNames: { maxLength: 253 }, additionalProperties: { type: 'string', maxLength: 4096 } }) as const;

type InputKind = 'manifest' | 'kindConfig' | 'kubeconfig' | 'certificate' | 'channelConfig' | 'nodeConf' | 'lbExport' | 'roundTrips' | 'nodeConfig';

/** A path (relative to the file that declares it, or absolute, `~/` for the home directory). */
function path(expect: 'file' | 'dir' | 'any', input?: InputKind, description?: string) {
  return { type: 'string', minLength: 1, maxLength: 4096, 'x-path': input ? { expect, input } : { expect }, ...(description ? { description } : {}) } as const;
}

/** Every check setting (support/evidence/settings.ts): type, bounds and what it is, with its default. */
function settingProperties(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    SETTING_KEYS.map((key) => {
      const s = SETTINGS[key];
      return [
        key,
        {
          type: s.integer ? 'integer' : 'number',
          ...(s.exclusive ? { exclusiveMinimum: s.minimum } : { minimum: s.minimum }),
          maximum: maximumOf(key),
          description: `${s.what} (default ${s.default}${s.unit ? ` ${s.unit}` : ''}; ${s.checks.join(', ')})`,
        },
      ];
    }),
  );
}

/** An ordering node or a peer: where it runs, how it is dialled, its certificates and endpoints. */
function fabricNode(extra: Record<string, unknown>) {
  return {
    type: 'object',
    required: ['name', 'host', 'port'],
    additionalProperties: false,
    properties: {
      name,
      region: { ...name, description: 'the region it runs in, as claimed: cross-checked with the Kubernetes evidence, which places the node when it shows it' },
      host: { type: 'string', minLength: 1, maxLength: 253 },
      port,
      tlsCert: path('file', 'certificate'),
      enrollmentCert: path('file', 'certificate'),
      operations: url,
      config: path(
        'file',
        'nodeConfig',
        "the node's orderer.yaml or core.yaml, for a node whose configuration no Kubernetes manifest shows (FAB-ORD-11, FAB-ORD-12, FAB-PEER-06); only the keys those checks read are kept",
      ),
      ...extra,
    },
  };
}

/** Records a provisioning environment writes about what it started (read by its drills and tests, never by checks). */
const environmentRecords = {
  runId: { type: 'string', maxLength: 253, description: 'written by a provisioning environment: its run id' },
  fabricVariant: { type: 'string', maxLength: 253, description: 'written by the local environment: the broken variant it runs' },
  fabricGateways: {
    description: "written by the local environment: each gateway Service's frontend",
    ...list(
      {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'service', 'org', 'region', 'address', 'port', 'peers'],
        properties: { name: text, service: text, org: text, region: text, address: text, port, peers: stringList(1000) },
      },
      1000,
    ),
  },
  fabricOrdering: {
    type: 'object',
    description: 'written by the local environment: the etcd members standing in for the ordering nodes',
    additionalProperties: false,
    properties: {
      standIn: text,
      members: {
        type: 'object',
        maxProperties: 1000,
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: { region: text, client: url, metrics: url, peer: url },
        },
      },
    },
  },
  kind: {
    type: 'object',
    description: 'written by the kind environment: the clusters it created',
    additionalProperties: false,
    properties: { kubeconfig: text, namespace: text, clusters: stringMap(64) },
  },
  docker: {
    type: 'object',
    description: 'written by the docker environment: its networks, containers and published ports',
    additionalProperties: false,
    properties: {
      runId: text,
      networks: {
        type: 'object',
        maxProperties: 16,
        additionalProperties: { type: 'object', additionalProperties: false, properties: { name: text, subnet: text } },
      },
      containers: stringMap(64),
      images: {
        type: 'object',
        maxProperties: 16,
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: {
            image: text,
            flavour: text,
            skipped: list({ type: 'object', additionalProperties: false, properties: { strategy: text, why: { type: 'string' } } }, 64),
          },
        },
      },
      published: {
        type: 'object',
        additionalProperties: false,
        properties: { database: text, loadBalancer: stringList(16), runtimeApi: text, observer: text },
      },
      mirror: { type: 'object', additionalProperties: false, properties: { note: { type: 'string' }, primary: text, backup: text } },
    },
  },
} as const;

export const targetSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ha-conformance/target-schema.json',
  title: 'ha-conformance target descriptor',
  description: 'What a deployment is and where its evidence lives. See support/descriptor/types.ts; limits: docs/input-limits.md.',
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string', enum: ['ha-conformance/v1'] },
    name,
    description: { type: 'string', maxLength: 4096 },
    extends: { type: 'string', minLength: 1, maxLength: 4096, description: 'a base descriptor, relative to this file' },
    envFile: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      description: 'KEY=VALUE file for ${KEY} references (secrets), relative to this file; a regular file owned by the user running the harness, not readable by group or others',
    },
    disposable: { type: 'boolean', description: 'drills may run only when true (or the operator opts in)' },
    settings: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...settingProperties(),
        now: { type: 'string', format: 'date-time', description: 'RFC 3339 / ISO-8601 reference time for expiry checks, with a time zone: 2026-01-01T00:00:00Z' },
      },
    },
    regions: list(
      {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name,
          kubernetes: {
            type: 'object',
            additionalProperties: false,
            properties: {
              manifests: list(path('any', 'manifest', 'a manifest file, or a folder of .yaml/.yml/.json files'), 1000),
              kindConfig: path('file', 'kindConfig'),
              context: { type: 'string', minLength: 1, maxLength: 253, description: '--live: the context of `kubeconfig` to read the cluster through' },
              kubeconfig: path('file', 'kubeconfig', '--live: the kubeconfig holding `context` (never $KUBECONFIG or ~/.kube/config unless live.kubernetes.ambientKubeconfig)'),
              inCluster: {
                type: 'boolean',
                description:
                  'live: read this region through the service account of the pod ha-validate runs in (token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT) instead of a kubeconfig context; at most one region',
              },
            },
          },
        },
      },
      32,
    ),
    fabric: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ordering: list(
          {
            type: 'object',
            required: ['name', 'mspId'],
            additionalProperties: false,
            properties: {
              name,
              mspId: name,
              ca: list(path('file', 'certificate'), 64),
              nodes: list(
                fabricNode({
                  admin: url,
                  workerNode: { ...name, description: 'the worker node it runs on, as claimed: cross-checked with its pod (FAB-ORD-05)' },
                  zone: { ...name, description: 'the zone it runs in, as claimed: cross-checked with its worker node\'s zone label (FAB-ORD-05)' },
                }),
                100,
              ),
            },
          },
          100,
        ),
        organizations: list(
          {
            type: 'object',
            required: ['name', 'mspId'],
            additionalProperties: false,
            properties: {
              name,
              mspId: name,
              ca: list(path('file', 'certificate'), 64),
              gatewayService: { type: 'string', minLength: 1, maxLength: 253 },
              gatewayAliases: stringList(64),
              peers: list(fabricNode({ channels: stringList(1000) }), 1000),
            },
          },
          1000,
        ),
        channels: list(
          {
            type: 'object',
            required: ['name', 'config'],
            additionalProperties: false,
            properties: { name, config: path('file', 'channelConfig') },
          },
          1000,
        ),
        roundTripMeasurements: path('file', 'roundTrips', 'FAB-ORD-07: a file of round trips between ordering nodes measured by the operator'),
      },
    },
    corda: {
      type: 'object',
      additionalProperties: false,
      properties: {
        nodes: list(
          {
            type: 'object',
            required: ['name', 'role', 'config', 'machine'],
            additionalProperties: false,
            properties: {
              name,
              role: { type: 'string', enum: ['primary', 'backup'] },
              config: path('file', 'nodeConf'),
              machine: { type: 'string', minLength: 1, maxLength: 253 },
              baseDirectory: path('dir'),
              env: stringMap(1000),
            },
          },
          16,
        ),
        loadBalancer: {
          type: 'object',
          additionalProperties: false,
          properties: {
            address: { type: 'string', minLength: 1, maxLength: 253 },
            export: path('file', 'lbExport'),
            format: { type: 'string', enum: ['azure', 'aws', 'haproxy'] },
          },
        },
        database: {
          type: 'object',
          additionalProperties: false,
          properties: {
            url: url,
            user: { type: 'string', maxLength: 253 },
            password: secret,
          },
        },
        ports: {
          type: 'object',
          additionalProperties: false,
          properties: { p2p: port, rpc: port, web: port },
        },
        filesToMatch: list(
          {
            type: 'string',
            minLength: 1,
            maxLength: 4096,
            // inside the base directory: relative, no `..` segment
            pattern: '^(?!/)(?!.*(^|/)\\.\\.(/|$)).+$',
            description: 'a file or folder relative to each node base directory',
          },
          64,
        ),
      },
    },
    waivers: {
      type: 'array',
      description:
        'accepted violations: a failed guarantee a waiver covers is reported as "waived" (in every format) instead of failing the gate, until the waiver expires',
      items: {
        type: 'object',
        required: ['id', 'justification', 'expires'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z]+(-[A-Za-z]+)*-[0-9]+$', description: 'the guarantee ID (ha-validate --list), case-insensitive' },
          scope: {
            type: 'string',
            minLength: 1,
            pattern: '\\S',
            description: 'a channel, node, organization, region or Service name: the waiver covers only the problems that name it (default: the whole guarantee)',
          },
          justification: { type: 'string', minLength: 1, pattern: '\\S', description: 'why the violation is accepted, and by whom (reported with the result)' },
          expires: {
            type: 'string',
            pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?$',
            description: 'the last day the waiver holds (YYYY-MM-DD, through the end of that day UTC) or an exact ISO-8601 time; then the violation fails again',
          },
        },
      },
    },
    live: {
      type: 'object',
      additionalProperties: false,
      description: 'where --live may connect (and nowhere else): docs/input-limits.md, "The --live contract"',
      properties: {
        hosts: { ...stringMap(10_000), description: 'host names → addresses: the only names dialled unless resolveNames is true' },
        resolveNames: { type: 'boolean', description: "dial names the hosts map does not list through the machine's resolver" },
        database: {
          type: 'object',
          required: ['host', 'port', 'database', 'user'],
          additionalProperties: false,
          properties: {
            host: { type: 'string', minLength: 1, maxLength: 253 },
            port,
            database: { type: 'string', minLength: 1, maxLength: 253 },
            user: { type: 'string', minLength: 1, maxLength: 253 },
            password: secret,
          },
        },
        loadBalancerAdmin: { type: 'string', minLength: 1, maxLength: 4096 },
        namespace: { type: 'string', minLength: 1, maxLength: 253, description: 'Kubernetes namespace the live reads are limited to' },
        kubernetes: {
          type: 'object',
          additionalProperties: false,
          properties: {
            allowExecAuth: { type: 'boolean', description: "let a kubeconfig's exec and auth-provider plugins run (they start programs)" },
            ambientKubeconfig: { type: 'boolean', description: 'a region with a context but no kubeconfig uses $KUBECONFIG or ~/.kube/config' },
          },
        },
        ...environmentRecords,
      },
    },
  },
} as const;
