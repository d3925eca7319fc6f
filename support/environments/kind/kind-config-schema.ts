/**
 * JSON Schema of a KIND cluster config, `kind.x-k8s.io/v1alpha4` `Cluster` (the fields kind v0.29 documents).
 * kind decodes its config strictly — an unknown field is an error ("field … not found in type v1alpha4.Cluster")
 * — so every object here rejects properties it does not list. Used to check the configs this harness renders and
 * the `kind-config.yaml` files of the fixtures before a user hands them to kind.
 */
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const patches = { type: 'array', items: { type: 'string' } } as const;
const json6902 = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['group', 'version', 'kind', 'patch'],
    properties: { group: { type: 'string' }, version: { type: 'string' }, kind: { type: 'string' }, patch: { type: 'string' } },
  },
} as const;

export const kindConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'KIND Cluster config (kind.x-k8s.io/v1alpha4)',
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'apiVersion'],
  properties: {
    kind: { const: 'Cluster' },
    apiVersion: { const: 'kind.x-k8s.io/v1alpha4' },
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*$' },
    featureGates: { type: 'object', additionalProperties: { type: 'boolean' } },
    runtimeConfig: stringMap,
    networking: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ipFamily: { enum: ['ipv4', 'ipv6', 'dual'] },
        apiServerAddress: { type: 'string' },
        apiServerPort: { type: 'integer', minimum: -1, maximum: 65535 },
        podSubnet: { type: 'string' },
        serviceSubnet: { type: 'string' },
        disableDefaultCNI: { type: 'boolean' },
        kubeProxyMode: { enum: ['iptables', 'ipvs', 'nftables', 'none'] },
        dnsSearch: { type: 'array', items: { type: 'string' } },
      },
    },
    nodes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['role'],
        properties: {
          role: { enum: ['control-plane', 'worker'] },
          image: { type: 'string' },
          labels: stringMap,
          extraMounts: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['hostPath', 'containerPath'],
              properties: {
                hostPath: { type: 'string' },
                containerPath: { type: 'string' },
                readOnly: { type: 'boolean' },
                selinuxRelabel: { type: 'boolean' },
                propagation: { enum: ['None', 'HostToContainer', 'Bidirectional'] },
              },
            },
          },
          extraPortMappings: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['containerPort'],
              properties: {
                containerPort: { type: 'integer', minimum: 1, maximum: 65535 },
                hostPort: { type: 'integer', minimum: 0, maximum: 65535 },
                listenAddress: { type: 'string' },
                protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
              },
            },
          },
          kubeadmConfigPatches: patches,
          kubeadmConfigPatchesJSON6902: json6902,
        },
      },
    },
    kubeadmConfigPatches: patches,
    kubeadmConfigPatchesJSON6902: json6902,
    containerdConfigPatches: patches,
    containerdConfigPatchesJSON6902: patches,
  },
} as const;
