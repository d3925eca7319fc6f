/**
 * JSON Schema of the target descriptor (after `extends` is merged and `${VAR}` expanded, before defaults).
 * `docs/target-schema.json` is this object written out; `test/target/schema-doc.test.ts` keeps them equal
 * (regenerate with `node --import tsx scripts/write-target-schema.ts`).
 *
 * Known sections reject unknown fields (a typo should be reported, not silently ignored); `live` stays open
 * because environments add their own entries there. `settings` declares every check setting (settings.ts).
 */
import { SETTINGS, SETTING_KEYS } from '../evidence/settings.ts';

const name = { type: 'string', minLength: 1, pattern: '^[^\\s]+$' } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const path = { type: 'string', minLength: 1 } as const;
const url = { type: 'string', minLength: 1 } as const;
const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

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
          ...(s.maximum !== undefined ? { maximum: s.maximum } : {}),
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
      host: { type: 'string', minLength: 1 },
      port,
      tlsCert: path,
      enrollmentCert: path,
      operations: url,
      config: {
        ...path,
        description:
          "the node's orderer.yaml or core.yaml, for a node whose configuration no Kubernetes manifest shows (FAB-ORD-11, FAB-ORD-12, FAB-PEER-06); only the keys those checks read are kept",
      },
      ...extra,
    },
  };
}

export const targetSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ha-conformance/target-schema.json',
  title: 'ha-conformance target descriptor',
  description: 'What a deployment is and where its evidence lives. See support/target/types.ts.',
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string', enum: ['ha-conformance/v1'] },
    name,
    description: { type: 'string' },
    extends: { type: 'string', minLength: 1, description: 'a base descriptor, relative to this file' },
    envFile: { type: 'string', minLength: 1, description: 'KEY=VALUE file for ${KEY} references (secrets), relative to this file' },
    disposable: { type: 'boolean', description: 'drills may run only when true (or the operator opts in)' },
    settings: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...settingProperties(),
        now: { type: 'string', minLength: 1, description: 'ISO-8601 reference time for expiry checks' },
      },
    },
    regions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name,
          kubernetes: {
            type: 'object',
            additionalProperties: false,
            properties: {
              manifests: { type: 'array', items: path },
              kindConfig: path,
              context: { type: 'string', minLength: 1 },
              kubeconfig: path,
              inCluster: {
                type: 'boolean',
                description:
                  'live: read this region through the service account of the pod ha-validate runs in (token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT) instead of a kubeconfig context; at most one region',
              },
            },
          },
        },
      },
    },
    fabric: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ordering: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'mspId'],
            additionalProperties: false,
            properties: {
              name,
              mspId: name,
              ca: { type: 'array', items: path },
              nodes: {
                type: 'array',
                items: fabricNode({
                  admin: url,
                  workerNode: { ...name, description: 'the worker node it runs on, as claimed: cross-checked with its pod (FAB-ORD-05)' },
                  zone: { ...name, description: 'the zone it runs in, as claimed: cross-checked with its worker node\'s zone label (FAB-ORD-05)' },
                }),
              },
            },
          },
        },
        organizations: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'mspId'],
            additionalProperties: false,
            properties: {
              name,
              mspId: name,
              ca: { type: 'array', items: path },
              gatewayService: { type: 'string', minLength: 1 },
              gatewayAliases: stringList,
              peers: {
                type: 'array',
                items: fabricNode({ channels: stringList }),
              },
            },
          },
        },
        channels: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'config'],
            additionalProperties: false,
            properties: { name, config: path },
          },
        },
        roundTripMeasurements: { ...path, description: 'FAB-ORD-07: a file of round trips between ordering nodes measured by the operator' },
      },
    },
    corda: {
      type: 'object',
      additionalProperties: false,
      properties: {
        nodes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'role', 'config', 'machine'],
            additionalProperties: false,
            properties: {
              name,
              role: { type: 'string', enum: ['primary', 'backup'] },
              config: path,
              machine: { type: 'string', minLength: 1 },
              baseDirectory: path,
              env: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
        },
        loadBalancer: {
          type: 'object',
          additionalProperties: false,
          properties: {
            address: { type: 'string', minLength: 1 },
            export: path,
            format: { type: 'string', enum: ['azure', 'aws', 'haproxy'] },
          },
        },
        database: {
          type: 'object',
          additionalProperties: false,
          properties: {
            url: { type: 'string', minLength: 1 },
            user: { type: 'string' },
            password: { type: 'string' },
          },
        },
        ports: {
          type: 'object',
          additionalProperties: false,
          properties: { p2p: port, rpc: port, web: port },
        },
        filesToMatch: stringList,
      },
    },
    live: {
      type: 'object',
      additionalProperties: true,
      properties: {
        hosts: { type: 'object', additionalProperties: { type: 'string' } },
        database: {
          type: 'object',
          required: ['host', 'port', 'database', 'user'],
          properties: {
            host: { type: 'string', minLength: 1 },
            port,
            database: { type: 'string', minLength: 1 },
            user: { type: 'string', minLength: 1 },
            password: { type: 'string' },
          },
        },
        loadBalancerAdmin: { type: 'string', minLength: 1 },
      },
    },
  },
} as const;
