/**
 * Builds a Fabric channel configuration — as a `common.Block` (protobuf) or as configtxlator-style JSON — from a
 * small spec. Used by the fixture generator and the local environment, and as the inverse of the decoder in
 * tests. The output is deterministic (no timestamps, no nonces), so fixtures do not churn.
 */
import { createHash } from 'node:crypto';
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';

export interface ConsenterSpec {
  host: string;
  port: number;
  serverTlsCertPem: string;
  clientTlsCertPem: string;
  /** BFT only: consenter id (default: position + 1) */
  id?: number;
  /** BFT only: the consenter's MSP ID (default: the first ordering org's) */
  mspId?: string;
  /** BFT only: the consenter's signing certificate (PEM), serialized as the identity */
  identityPem?: string;
}

export interface OrdererOrgSpec {
  name: string;
  mspId: string;
  rootCertsPem: string[];
  tlsRootCertsPem: string[];
  endpoints: string[];
}

export interface ApplicationOrgSpec {
  name: string;
  mspId: string;
  rootCertsPem: string[];
  tlsRootCertsPem: string[];
  anchorPeers: Array<{ host: string; port: number }>;
}

export interface ChannelConfigSpec {
  channel: string;
  consensusType: 'etcdraft' | 'BFT';
  consenters: ConsenterSpec[];
  ordererOrgs: OrdererOrgSpec[];
  applicationOrgs: ApplicationOrgSpec[];
  /** an orderer system channel: organizations go under Consortiums/SampleConsortium, no Application group */
  systemChannel?: boolean;
  /** config sequence (default 0) */
  sequence?: number;
}

const CONSORTIUM = 'SampleConsortium';
const raftOptions = { tickInterval: '500ms', electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSize: 16777216 };

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function consenterId(spec: ChannelConfigSpec, c: ConsenterSpec, i: number): number {
  return c.id ?? i + 1;
}
function consenterMsp(spec: ChannelConfigSpec, c: ConsenterSpec): string {
  return c.mspId ?? spec.ordererOrgs[0]?.mspId ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// protobuf

function value(bytes: Uint8Array, modPolicy = 'Admins'): common.ConfigValue {
  const v = new common.ConfigValue();
  v.setValue(bytes);
  v.setModPolicy(modPolicy);
  return v;
}

function group(modPolicy = 'Admins'): common.ConfigGroup {
  const g = new common.ConfigGroup();
  g.setModPolicy(modPolicy);
  return g;
}

function mspValue(mspId: string, roots: string[], tlsRoots: string[]): common.ConfigValue {
  const fabric = new msp.FabricMSPConfig();
  fabric.setName(mspId);
  fabric.setRootCertsList(roots.map(utf8));
  fabric.setTlsRootCertsList(tlsRoots.map(utf8));
  const crypto = new msp.FabricCryptoConfig();
  crypto.setSignatureHashFamily('SHA2');
  crypto.setIdentityIdentifierHashFunction('SHA256');
  fabric.setCryptoConfig(crypto);
  const cfg = new msp.MSPConfig();
  cfg.setType(0);
  cfg.setConfig(fabric.serializeBinary());
  return value(cfg.serializeBinary());
}

function ordererGroup(spec: ChannelConfigSpec): common.ConfigGroup {
  const g = group();
  const ct = new orderer.ConsensusType();
  ct.setType(spec.consensusType);
  if (spec.consensusType === 'etcdraft') {
    const md = new orderer.etcdraft.ConfigMetadata();
    md.setConsentersList(
      spec.consenters.map((c) => {
        const pc = new orderer.etcdraft.Consenter();
        pc.setHost(c.host);
        pc.setPort(c.port);
        pc.setClientTlsCert(utf8(c.clientTlsCertPem));
        pc.setServerTlsCert(utf8(c.serverTlsCertPem));
        return pc;
      }),
    );
    const opts = new orderer.etcdraft.Options();
    opts.setTickInterval(raftOptions.tickInterval);
    opts.setElectionTick(raftOptions.electionTick);
    opts.setHeartbeatTick(raftOptions.heartbeatTick);
    opts.setMaxInflightBlocks(raftOptions.maxInflightBlocks);
    opts.setSnapshotIntervalSize(raftOptions.snapshotIntervalSize);
    md.setOptions(opts);
    ct.setMetadata(md.serializeBinary());
  } else {
    const os = new common.Orderers();
    os.setConsenterMappingList(
      spec.consenters.map((c, i) => {
        const pc = new common.Consenter();
        pc.setId(consenterId(spec, c, i));
        pc.setHost(c.host);
        pc.setPort(c.port);
        pc.setMspId(consenterMsp(spec, c));
        if (c.identityPem) {
          const id = new msp.SerializedIdentity();
          id.setMspid(consenterMsp(spec, c));
          id.setIdBytes(utf8(c.identityPem));
          pc.setIdentity(id.serializeBinary());
        }
        pc.setClientTlsCert(utf8(c.clientTlsCertPem));
        pc.setServerTlsCert(utf8(c.serverTlsCertPem));
        return pc;
      }),
    );
    g.getValuesMap().set('Orderers', value(os.serializeBinary()));
  }
  g.getValuesMap().set('ConsensusType', value(ct.serializeBinary()));
  const bs = new orderer.BatchSize();
  bs.setMaxMessageCount(10);
  bs.setAbsoluteMaxBytes(103809024);
  bs.setPreferredMaxBytes(524288);
  g.getValuesMap().set('BatchSize', value(bs.serializeBinary()));
  const bt = new orderer.BatchTimeout();
  bt.setTimeout('2s');
  g.getValuesMap().set('BatchTimeout', value(bt.serializeBinary()));
  for (const o of spec.ordererOrgs) {
    const og = group();
    og.getValuesMap().set('MSP', mspValue(o.mspId, o.rootCertsPem, o.tlsRootCertsPem));
    const ep = new common.OrdererAddresses();
    ep.setAddressesList(o.endpoints);
    og.getValuesMap().set('Endpoints', value(ep.serializeBinary()));
    g.getGroupsMap().set(o.name, og);
  }
  return g;
}

function applicationOrgGroup(o: ApplicationOrgSpec, withAnchors: boolean): common.ConfigGroup {
  const og = group();
  og.getValuesMap().set('MSP', mspValue(o.mspId, o.rootCertsPem, o.tlsRootCertsPem));
  if (withAnchors) {
    const ap = new peer.AnchorPeers();
    ap.setAnchorPeersList(
      o.anchorPeers.map((a) => {
        const p = new peer.AnchorPeer();
        p.setHost(a.host);
        p.setPort(a.port);
        return p;
      }),
    );
    og.getValuesMap().set('AnchorPeers', value(ap.serializeBinary()));
  }
  return og;
}

/** The `common.Config` of the spec. */
export function buildConfig(spec: ChannelConfigSpec): common.Config {
  const channel = group();
  channel.getGroupsMap().set('Orderer', ordererGroup(spec));
  if (spec.systemChannel) {
    const consortiums = group('/Channel/Orderer/Admins');
    const consortium = group('/Channel/Orderer/Admins');
    for (const o of spec.applicationOrgs) consortium.getGroupsMap().set(o.name, applicationOrgGroup(o, false));
    consortiums.getGroupsMap().set(CONSORTIUM, consortium);
    channel.getGroupsMap().set('Consortiums', consortiums);
  } else {
    const app = group();
    for (const o of spec.applicationOrgs) app.getGroupsMap().set(o.name, applicationOrgGroup(o, true));
    channel.getGroupsMap().set('Application', app);
  }
  const ha = new common.HashingAlgorithm();
  ha.setName('SHA256');
  channel.getValuesMap().set('HashingAlgorithm', value(ha.serializeBinary()));
  const bdh = new common.BlockDataHashingStructure();
  bdh.setWidth(4294967295);
  channel.getValuesMap().set('BlockDataHashingStructure', value(bdh.serializeBinary()));
  const config = new common.Config();
  config.setSequence(spec.sequence ?? 0);
  config.setChannelGroup(channel);
  return config;
}

/** A genesis-style config block: `common.Block` whose only envelope is a CONFIG transaction holding the config. */
export function encodeChannelConfigBlock(spec: ChannelConfigSpec): Uint8Array {
  const env = new common.ConfigEnvelope();
  env.setConfig(buildConfig(spec));
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.CONFIG);
  ch.setChannelId(spec.channel);
  ch.setTxId(txId(spec.channel));
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(new common.SignatureHeader().serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(env.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  const envBytes = envelope.serializeBinary();
  const block = new common.Block();
  const bh = new common.BlockHeader();
  bh.setNumber(0);
  bh.setDataHash(new Uint8Array(createHash('sha256').update(envBytes).digest()));
  block.setHeader(bh);
  const data = new common.BlockData();
  data.setDataList([envBytes]);
  block.setData(data);
  const md = new common.BlockMetadata();
  md.setMetadataList([new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array()]);
  block.setMetadata(md);
  return block.serializeBinary();
}

/** Just the `common.Config` message (what `configtxlator proto_encode --type common.Config` gives). */
export function encodeChannelConfig(spec: ChannelConfigSpec): Uint8Array {
  return buildConfig(spec).serializeBinary();
}

function txId(channel: string): string {
  return createHash('sha256').update(`config:${channel}`).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// configtxlator JSON (snake_case, 64-bit numbers as strings, bytes as base64, nested values decoded in place)

type Json = Record<string, unknown>;

function jsonValue(v: unknown, modPolicy = 'Admins'): Json {
  return { mod_policy: modPolicy, value: v, version: '0' };
}
function jsonGroup(groups: Json, values: Json, modPolicy = 'Admins'): Json {
  return { groups, mod_policy: modPolicy, policies: {}, values, version: '0' };
}
function jsonMsp(mspId: string, roots: string[], tlsRoots: string[]): Json {
  return jsonValue({
    config: {
      admins: [],
      crypto_config: { identity_identifier_hash_function: 'SHA256', signature_hash_family: 'SHA2' },
      fabric_node_ous: null,
      intermediate_certs: [],
      name: mspId,
      organizational_unit_identifiers: [],
      revocation_list: [],
      root_certs: roots.map(b64),
      signing_identity: null,
      tls_intermediate_certs: [],
      tls_root_certs: tlsRoots.map(b64),
    },
    type: 0,
  });
}

/** The channel configuration as configtxlator would print it: the `common.Config` JSON. */
export function channelConfigObjectJson(spec: ChannelConfigSpec): Json {
  const ordererValues: Json = {
    BatchSize: jsonValue({ absolute_max_bytes: 103809024, max_message_count: 10, preferred_max_bytes: 524288 }),
    BatchTimeout: jsonValue({ timeout: '2s' }),
  };
  if (spec.consensusType === 'etcdraft') {
    ordererValues.ConsensusType = jsonValue({
      metadata: {
        consenters: spec.consenters.map((c) => ({
          client_tls_cert: b64(c.clientTlsCertPem),
          host: c.host,
          port: c.port,
          server_tls_cert: b64(c.serverTlsCertPem),
        })),
        options: {
          election_tick: raftOptions.electionTick,
          heartbeat_tick: raftOptions.heartbeatTick,
          max_inflight_blocks: raftOptions.maxInflightBlocks,
          snapshot_interval_size: raftOptions.snapshotIntervalSize,
          tick_interval: raftOptions.tickInterval,
        },
      },
      state: 'STATE_NORMAL',
      type: 'etcdraft',
    });
  } else {
    ordererValues.ConsensusType = jsonValue({ metadata: null, state: 'STATE_NORMAL', type: 'BFT' });
    ordererValues.Orderers = jsonValue({
      consenter_mapping: spec.consenters.map((c, i) => ({
        client_tls_cert: b64(c.clientTlsCertPem),
        host: c.host,
        id: consenterId(spec, c, i),
        identity: c.identityPem ? { id_bytes: b64(c.identityPem), mspid: consenterMsp(spec, c) } : null,
        msp_id: consenterMsp(spec, c),
        port: c.port,
        server_tls_cert: b64(c.serverTlsCertPem),
      })),
    });
  }
  const ordererGroups: Json = {};
  for (const o of spec.ordererOrgs) {
    ordererGroups[o.name] = jsonGroup({}, { Endpoints: jsonValue({ addresses: o.endpoints }), MSP: jsonMsp(o.mspId, o.rootCertsPem, o.tlsRootCertsPem) });
  }
  const channelGroups: Json = { Orderer: jsonGroup(ordererGroups, ordererValues) };
  if (spec.systemChannel) {
    const orgs: Json = {};
    for (const o of spec.applicationOrgs) orgs[o.name] = jsonGroup({}, { MSP: jsonMsp(o.mspId, o.rootCertsPem, o.tlsRootCertsPem) });
    channelGroups.Consortiums = jsonGroup({ [CONSORTIUM]: jsonGroup(orgs, {}, '/Channel/Orderer/Admins') }, {}, '/Channel/Orderer/Admins');
  } else {
    const orgs: Json = {};
    for (const o of spec.applicationOrgs) {
      orgs[o.name] = jsonGroup({}, {
        AnchorPeers: jsonValue({ anchor_peers: o.anchorPeers.map((a) => ({ host: a.host, port: a.port })) }),
        MSP: jsonMsp(o.mspId, o.rootCertsPem, o.tlsRootCertsPem),
      });
    }
    channelGroups.Application = jsonGroup(orgs, {});
  }
  return {
    channel_group: jsonGroup(channelGroups, {
      BlockDataHashingStructure: jsonValue({ width: 4294967295 }),
      HashingAlgorithm: jsonValue({ name: 'SHA256' }),
    }),
    sequence: String(spec.sequence ?? 0),
  };
}

/**
 * configtxlator-style JSON. `form: 'block'` (default) gives the decoded `common.Block` (what
 * `configtxlator proto_decode --type common.Block` prints for a config block); `form: 'config'` gives the
 * `common.Config` alone (what `jq .data.data[0].payload.data.config` extracts).
 */
export function channelConfigToJson(spec: ChannelConfigSpec, form: 'block' | 'config' = 'block'): Json {
  const config = channelConfigObjectJson(spec);
  if (form === 'config') return config;
  return {
    data: {
      data: [
        {
          payload: {
            data: { config, last_update: null },
            header: {
              channel_header: {
                channel_id: spec.channel,
                epoch: '0',
                extension: null,
                timestamp: null,
                tls_cert_hash: null,
                tx_id: txId(spec.channel),
                type: 1,
                version: 0,
              },
              signature_header: { creator: null, nonce: null },
            },
          },
          signature: null,
        },
      ],
    },
    header: { data_hash: null, number: '0', previous_hash: null },
    metadata: { metadata: ['', '', '', '', ''] },
  };
}
