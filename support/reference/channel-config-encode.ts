/**
 * Builds a Fabric channel configuration — as a `common.Block` (protobuf) or as configtxlator-style JSON — from a
 * small spec. Used by the fixture generator and the environments, and as the inverse of the decoder in tests.
 *
 * The configuration is complete the way `configtxgen` (Fabric 2.5) writes it for fabric-samples' test-network
 * `ChannelUsingRaft` profile, so that an orderer accepts the block through the channel participation API
 * (`osnadmin channel join`) and a peer through `peer channel join`:
 * - policies, each with mod_policy "Admins": /Channel and /Channel/Orderer Readers ANY Readers, Writers ANY
 *   Writers, Admins MAJORITY Admins (the orderer group also BlockValidation ANY Writers); /Channel/Application the
 *   same plus LifecycleEndorsement and Endorsement MAJORITY Endorsement; per ordering org Readers/Writers
 *   OR('<MSP>.member'), Admins OR('<MSP>.admin'); per application org Readers OR(admin, peer, client), Writers
 *   OR(admin, client), Admins OR(admin), Endorsement OR(peer) — signature policies as `policydsl` builds them
 *   (one principal per term, no deduplication, version 0);
 * - capabilities: channel V2_0 (V3_0 for BFT, as fabric-samples' BFT profile), orderer V2_0, application V2_5;
 *   with the channel capability the per-org `Endpoints` replace the channel-level `OrdererAddresses`;
 * - MSPs with NodeOUs enabled (client/peer/admin/orderer OUs, certified by the org's first root CA), as
 *   fabric-samples' `msp/config.yaml`; no admin certificates (admins are identified by their OU) and no
 *   intermediate CAs unless the spec names some (`intermediateCertsPem`, `tlsIntermediateCertsPem`, `adminsPem`);
 * - per ordering organization its `Endpoints` (org-level OrdererEndpoints), and the deprecated channel-level
 *   `OrdererAddresses` only when the spec gives some (`ordererAddresses`: what a channel created before 1.4.2 keeps);
 * - the genesis block as configtxgen's genesis factory makes it: header number 0, no previous hash, data hash
 *   SHA-256 over the concatenated data entries (protoutil.BlockDataHash), SIGNATURES metadata
 *   `Metadata{value: OrdererBlockMetadata{last_config: {index: 0}}}` and LAST_CONFIG metadata
 *   `Metadata{value: LastConfig{index: 0}}` (which serializes to no bytes at all), the others empty.
 * Application ACLs are left out (peers use their defaults), as is the orderer's ChannelRestrictions value.
 *
 * The output is deterministic, so fixtures do not churn: the channel header carries a fixed timestamp
 * (`GENESIS_TIMESTAMP`) and a nonce derived from the channel name, the transaction ID is computed from it the way
 * Fabric does (hex SHA-256 of nonce ‖ creator, with no creator).
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

/** An organization's MSP as the channel carries it (PEM certificates). */
export interface MspSpec {
  mspId: string;
  rootCertsPem: string[];
  tlsRootCertsPem: string[];
  intermediateCertsPem?: string[];
  tlsIntermediateCertsPem?: string[];
  /** explicitly listed admin certificates (none by default: NodeOUs identify admins by their OU) */
  adminsPem?: string[];
}

export interface OrdererOrgSpec extends MspSpec {
  name: string;
  /** the org's `Endpoints` value; absent: the org publishes none (only the channel's `ordererAddresses`, if any) */
  endpoints?: string[];
}

export interface ApplicationOrgSpec extends MspSpec {
  name: string;
  anchorPeers: Array<{ host: string; port: number }>;
}

/** Capability names per group; a group left out keeps the default (see `channelCapabilities`). */
export interface CapabilitiesSpec {
  channel?: string[];
  orderer?: string[];
  application?: string[];
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
  /** capability levels instead of the defaults */
  capabilities?: CapabilitiesSpec;
  /** the deprecated channel-level `OrdererAddresses` value (default: none) */
  ordererAddresses?: string[];
  /** etcdraft only: the Raft options (default `DEFAULT_RAFT_OPTIONS`) */
  raftOptions?: RaftOptionsSpec;
  /** the Orderer group's BatchSize (default `DEFAULT_BATCH_SIZE`) */
  batchSize?: BatchSizeSpec;
}

export interface RaftOptionsSpec {
  /** a Go duration: `500ms` */
  tickInterval: string;
  electionTick: number;
  heartbeatTick: number;
  maxInflightBlocks: number;
  snapshotIntervalSize: number;
}

export interface BatchSizeSpec {
  maxMessageCount: number;
  absoluteMaxBytes: number;
  preferredMaxBytes: number;
}

/** Fabric's `sampleconfig/configtx.yaml` `Orderer.EtcdRaft.Options`: 500ms ticks, a leader elected after 10 (5 s). */
export const DEFAULT_RAFT_OPTIONS: RaftOptionsSpec = { tickInterval: '500ms', electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSize: 16777216 };

/**
 * Blocks of at most 10 MB (`sampleconfig/configtx.yaml`'s AbsoluteMaxBytes), 10 messages, 512 KB preferred (the test
 * network's). Not the test network's 99 MB: a block travels twice inside a ProposalResponse (GetBlockByNumber), so it
 * must stay under half the gRPC message limit of 100 MB (hyperledger/fabric issue 2820, FAB-ORD-11).
 */
export const DEFAULT_BATCH_SIZE: BatchSizeSpec = { maxMessageCount: 10, absoluteMaxBytes: 10485760, preferredMaxBytes: 524288 };

const CONSORTIUM = 'SampleConsortium';
const ORDERER_ADMINS = '/Channel/Orderer/Admins';

/** The channel header's timestamp: 2025-01-01T00:00:00Z (configtxgen writes the current time). */
export const GENESIS_TIMESTAMP = new Date(Date.UTC(2025, 0, 1));

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function consenterId(spec: ChannelConfigSpec, c: ConsenterSpec, i: number): number {
  return c.id ?? i + 1;
}
function consenterMsp(spec: ChannelConfigSpec, c: ConsenterSpec): string {
  return c.mspId ?? spec.ordererOrgs[0]?.mspId ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// what both forms are built from: policies, capabilities, NodeOUs

type MspRole = 'MEMBER' | 'ADMIN' | 'CLIENT' | 'PEER' | 'ORDERER';
type ImplicitRule = 'ANY' | 'ALL' | 'MAJORITY';

/** A policy as configtx.yaml states it: ImplicitMeta "<RULE> <SubPolicy>", or a Signature n-out-of principals. */
type PolicyDef =
  | { type: 'implicit'; rule: ImplicitRule; subPolicy: string }
  | { type: 'signature'; n: number; principals: Array<{ mspId: string; role: MspRole }> };

/** `OR('<msp>.<role>', ...)` */
const anyOf = (mspId: string, ...roles: MspRole[]): PolicyDef => ({ type: 'signature', n: 1, principals: roles.map((role) => ({ mspId, role })) });
const implicit = (rule: ImplicitRule, subPolicy: string): PolicyDef => ({ type: 'implicit', rule, subPolicy });
/** policydsl.AcceptAllPolicy: 0 out of no rules */
const ACCEPT_ALL: PolicyDef = { type: 'signature', n: 0, principals: [] };

/** Policy name → definition (names sorted, as configtxlator prints them). */
type PolicySet = Array<[string, PolicyDef]>;

const channelPolicies = (): PolicySet => [
  ['Admins', implicit('MAJORITY', 'Admins')],
  ['Readers', implicit('ANY', 'Readers')],
  ['Writers', implicit('ANY', 'Writers')],
];
const ordererPolicies = (): PolicySet => [
  ['Admins', implicit('MAJORITY', 'Admins')],
  ['BlockValidation', implicit('ANY', 'Writers')],
  ['Readers', implicit('ANY', 'Readers')],
  ['Writers', implicit('ANY', 'Writers')],
];
const applicationPolicies = (): PolicySet => [
  ['Admins', implicit('MAJORITY', 'Admins')],
  ['Endorsement', implicit('MAJORITY', 'Endorsement')],
  ['LifecycleEndorsement', implicit('MAJORITY', 'Endorsement')],
  ['Readers', implicit('ANY', 'Readers')],
  ['Writers', implicit('ANY', 'Writers')],
];
const ordererOrgPolicies = (mspId: string): PolicySet => [
  ['Admins', anyOf(mspId, 'ADMIN')],
  ['Readers', anyOf(mspId, 'MEMBER')],
  ['Writers', anyOf(mspId, 'MEMBER')],
];
const applicationOrgPolicies = (mspId: string): PolicySet => [
  ['Admins', anyOf(mspId, 'ADMIN')],
  ['Endorsement', anyOf(mspId, 'PEER')],
  ['Readers', anyOf(mspId, 'ADMIN', 'PEER', 'CLIENT')],
  ['Writers', anyOf(mspId, 'ADMIN', 'CLIENT')],
];

const channelCapabilities = (spec: ChannelConfigSpec): string[] => spec.capabilities?.channel ?? [spec.consensusType === 'BFT' ? 'V3_0' : 'V2_0'];
const ordererCapabilities = (spec: ChannelConfigSpec): string[] => spec.capabilities?.orderer ?? ['V2_0'];
const applicationCapabilities = (spec: ChannelConfigSpec): string[] => spec.capabilities?.application ?? ['V2_5'];

/** NodeOU role → the OU that marks it (fabric-samples' config.yaml; what `support/reference/pki.ts` issues). */
const NODE_OUS = { client: 'client', peer: 'peer', admin: 'admin', orderer: 'orderer' } as const;

/** The certificate NodeOU identifiers name: the org's first root CA (PEM), or none. */
const nodeOuCert = (roots: string[]): string | undefined => roots[0];

const ROLE_CODE: Record<MspRole, msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap]> = {
  MEMBER: msp.MSPRole.MSPRoleType.MEMBER,
  ADMIN: msp.MSPRole.MSPRoleType.ADMIN,
  CLIENT: msp.MSPRole.MSPRoleType.CLIENT,
  PEER: msp.MSPRole.MSPRoleType.PEER,
  ORDERER: msp.MSPRole.MSPRoleType.ORDERER,
};
const RULE_CODE: Record<ImplicitRule, common.ImplicitMetaPolicy.RuleMap[keyof common.ImplicitMetaPolicy.RuleMap]> = {
  ANY: common.ImplicitMetaPolicy.Rule.ANY,
  ALL: common.ImplicitMetaPolicy.Rule.ALL,
  MAJORITY: common.ImplicitMetaPolicy.Rule.MAJORITY,
};

/** The channel header's nonce (configtxgen: 24 random bytes) and the transaction ID Fabric computes from it. */
function genesisNonce(channel: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`nonce:${channel}`).digest().subarray(0, 24));
}
function txId(channel: string): string {
  // protoutil.ComputeTxID: hex(SHA-256(nonce ‖ creator)); the genesis block has no creator
  return createHash('sha256').update(genesisNonce(channel)).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// protobuf

function value(bytes: Uint8Array, modPolicy = 'Admins'): common.ConfigValue {
  const v = new common.ConfigValue();
  v.setValue(bytes);
  v.setModPolicy(modPolicy);
  return v;
}

function group(modPolicy = 'Admins', policies: PolicySet = []): common.ConfigGroup {
  const g = new common.ConfigGroup();
  g.setModPolicy(modPolicy);
  for (const [name, def] of policies) g.getPoliciesMap().set(name, configPolicy(def, modPolicy));
  return g;
}

/** The `common.Policy` of a definition: type 3 with an ImplicitMetaPolicy, or type 1 with a SignaturePolicyEnvelope. */
function policyProto(def: PolicyDef): common.Policy {
  const p = new common.Policy();
  if (def.type === 'implicit') {
    const imp = new common.ImplicitMetaPolicy();
    imp.setSubPolicy(def.subPolicy);
    imp.setRule(RULE_CODE[def.rule]);
    p.setType(common.Policy.PolicyType.IMPLICIT_META);
    p.setValue(imp.serializeBinary());
    return p;
  }
  const env = new common.SignaturePolicyEnvelope();
  env.setVersion(0);
  const nOutOf = new common.SignaturePolicy.NOutOf();
  nOutOf.setN(def.n);
  nOutOf.setRulesList(
    def.principals.map((_, i) => {
      const r = new common.SignaturePolicy();
      r.setSignedBy(i);
      return r;
    }),
  );
  const rule = new common.SignaturePolicy();
  rule.setNOutOf(nOutOf);
  env.setRule(rule);
  env.setIdentitiesList(
    def.principals.map((pr) => {
      const role = new msp.MSPRole();
      role.setMspIdentifier(pr.mspId);
      role.setRole(ROLE_CODE[pr.role]);
      const principal = new msp.MSPPrincipal();
      principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
      principal.setPrincipal(role.serializeBinary());
      return principal;
    }),
  );
  p.setType(common.Policy.PolicyType.SIGNATURE);
  p.setValue(env.serializeBinary());
  return p;
}

function configPolicy(def: PolicyDef, modPolicy: string): common.ConfigPolicy {
  const cp = new common.ConfigPolicy();
  cp.setPolicy(policyProto(def));
  cp.setModPolicy(modPolicy);
  return cp;
}

function capabilitiesValue(names: string[]): common.ConfigValue {
  const caps = new common.Capabilities();
  for (const n of names) caps.getCapabilitiesMap().set(n, new common.Capability());
  return value(caps.serializeBinary());
}

function mspValue(o: MspSpec): common.ConfigValue {
  const roots = o.rootCertsPem;
  const fabric = new msp.FabricMSPConfig();
  fabric.setName(o.mspId);
  fabric.setRootCertsList(roots.map(utf8));
  fabric.setIntermediateCertsList((o.intermediateCertsPem ?? []).map(utf8));
  fabric.setAdminsList((o.adminsPem ?? []).map(utf8));
  fabric.setTlsRootCertsList(o.tlsRootCertsPem.map(utf8));
  fabric.setTlsIntermediateCertsList((o.tlsIntermediateCertsPem ?? []).map(utf8));
  const crypto = new msp.FabricCryptoConfig();
  crypto.setSignatureHashFamily('SHA2');
  crypto.setIdentityIdentifierHashFunction('SHA256');
  fabric.setCryptoConfig(crypto);
  const ous = new msp.FabricNodeOUs();
  ous.setEnable(true);
  const cert = nodeOuCert(roots);
  const ouId = (ou: string): msp.FabricOUIdentifier => {
    const id = new msp.FabricOUIdentifier();
    if (cert) id.setCertificate(utf8(cert));
    id.setOrganizationalUnitIdentifier(ou);
    return id;
  };
  ous.setClientOuIdentifier(ouId(NODE_OUS.client));
  ous.setPeerOuIdentifier(ouId(NODE_OUS.peer));
  ous.setAdminOuIdentifier(ouId(NODE_OUS.admin));
  ous.setOrdererOuIdentifier(ouId(NODE_OUS.orderer));
  fabric.setFabricNodeOus(ous);
  const cfg = new msp.MSPConfig();
  cfg.setType(0);
  cfg.setConfig(fabric.serializeBinary());
  return value(cfg.serializeBinary());
}

function ordererGroup(spec: ChannelConfigSpec): common.ConfigGroup {
  const g = group('Admins', ordererPolicies());
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
    const raftOptions = spec.raftOptions ?? DEFAULT_RAFT_OPTIONS;
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
  const batch = spec.batchSize ?? DEFAULT_BATCH_SIZE;
  const bs = new orderer.BatchSize();
  bs.setMaxMessageCount(batch.maxMessageCount);
  bs.setAbsoluteMaxBytes(batch.absoluteMaxBytes);
  bs.setPreferredMaxBytes(batch.preferredMaxBytes);
  g.getValuesMap().set('BatchSize', value(bs.serializeBinary()));
  const bt = new orderer.BatchTimeout();
  bt.setTimeout('2s');
  g.getValuesMap().set('BatchTimeout', value(bt.serializeBinary()));
  g.getValuesMap().set('Capabilities', capabilitiesValue(ordererCapabilities(spec)));
  for (const o of spec.ordererOrgs) {
    const og = group('Admins', ordererOrgPolicies(o.mspId));
    og.getValuesMap().set('MSP', mspValue(o));
    if (o.endpoints) {
      const ep = new common.OrdererAddresses();
      ep.setAddressesList(o.endpoints);
      og.getValuesMap().set('Endpoints', value(ep.serializeBinary()));
    }
    g.getGroupsMap().set(o.name, og);
  }
  return g;
}

function applicationOrgGroup(o: ApplicationOrgSpec, withAnchors: boolean): common.ConfigGroup {
  const og = group('Admins', applicationOrgPolicies(o.mspId));
  og.getValuesMap().set('MSP', mspValue(o));
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
  const channel = group('Admins', channelPolicies());
  channel.getGroupsMap().set('Orderer', ordererGroup(spec));
  if (spec.systemChannel) {
    // configtxgen: Consortiums Admins accepts all (only the channel-level implicit meta policy refers to it), and
    // each consortium lets any of its members' admins create a channel
    const consortiums = group(ORDERER_ADMINS, [['Admins', ACCEPT_ALL]]);
    const consortium = group(ORDERER_ADMINS);
    for (const o of spec.applicationOrgs) consortium.getGroupsMap().set(o.name, applicationOrgGroup(o, false));
    consortium.getValuesMap().set('ChannelCreationPolicy', value(policyProto(implicit('ANY', 'Admins')).serializeBinary(), ORDERER_ADMINS));
    consortiums.getGroupsMap().set(CONSORTIUM, consortium);
    channel.getGroupsMap().set('Consortiums', consortiums);
  } else {
    const app = group('Admins', applicationPolicies());
    app.getValuesMap().set('Capabilities', capabilitiesValue(applicationCapabilities(spec)));
    for (const o of spec.applicationOrgs) app.getGroupsMap().set(o.name, applicationOrgGroup(o, true));
    channel.getGroupsMap().set('Application', app);
  }
  const ha = new common.HashingAlgorithm();
  ha.setName('SHA256');
  channel.getValuesMap().set('HashingAlgorithm', value(ha.serializeBinary()));
  const bdh = new common.BlockDataHashingStructure();
  bdh.setWidth(4294967295);
  channel.getValuesMap().set('BlockDataHashingStructure', value(bdh.serializeBinary()));
  channel.getValuesMap().set('Capabilities', capabilitiesValue(channelCapabilities(spec)));
  if (spec.ordererAddresses) {
    const oa = new common.OrdererAddresses();
    oa.setAddressesList(spec.ordererAddresses);
    // configtxgen gives it the orderer admins' mod policy
    channel.getValuesMap().set('OrdererAddresses', value(oa.serializeBinary(), ORDERER_ADMINS));
  }
  const config = new common.Config();
  config.setSequence(spec.sequence ?? 0);
  config.setChannelGroup(channel);
  return config;
}

/**
 * A google.protobuf.Timestamp for the channel header. fabric-protos does not re-export the class and google-protobuf
 * (its dependency, not ours) ships no type declarations, so take an instance of the very class fabric-protos uses
 * from a decoded header whose only field is an empty timestamp (field 3, length 0) and set it.
 */
function timestampProto(at: Date): NonNullable<ReturnType<common.ChannelHeader['getTimestamp']>> {
  const ts = common.ChannelHeader.deserializeBinary(new Uint8Array([0x1a, 0x00])).getTimestamp()!;
  ts.setSeconds(Math.floor(at.getTime() / 1000));
  ts.setNanos((at.getTime() % 1000) * 1_000_000);
  return ts;
}

/** SHA-256 over the concatenated data entries: Fabric 2.5 protoutil.BlockDataHash (ComputeBlockDataHash in 3.x). */
export function blockDataHash(data: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
}

/** The block metadata configtxgen writes into a genesis block: [SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, ORDERER, COMMIT_HASH]. */
function genesisMetadata(): Uint8Array[] {
  const lastConfig = new common.LastConfig();
  lastConfig.setIndex(0);
  const obm = new common.OrdererBlockMetadata();
  obm.setLastConfig(lastConfig);
  const signatures = new common.Metadata();
  signatures.setValue(obm.serializeBinary());
  const last = new common.Metadata();
  last.setValue(lastConfig.serializeBinary());
  return [signatures.serializeBinary(), last.serializeBinary(), new Uint8Array(), new Uint8Array(), new Uint8Array()];
}

/** The CONFIG envelope of the genesis block, serialized. */
function genesisEnvelope(spec: ChannelConfigSpec): Uint8Array {
  const env = new common.ConfigEnvelope();
  env.setConfig(buildConfig(spec));
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.CONFIG);
  ch.setVersion(0);
  ch.setTimestamp(timestampProto(GENESIS_TIMESTAMP));
  ch.setChannelId(spec.channel);
  ch.setTxId(txId(spec.channel));
  ch.setEpoch(0);
  const sh = new common.SignatureHeader();
  sh.setNonce(genesisNonce(spec.channel));
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(env.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  return envelope.serializeBinary();
}

/** A genesis config block: `common.Block` whose only envelope is a CONFIG transaction holding the config. */
export function encodeChannelConfigBlock(spec: ChannelConfigSpec): Uint8Array {
  const envBytes = genesisEnvelope(spec);
  const block = new common.Block();
  const bh = new common.BlockHeader();
  bh.setNumber(0);
  bh.setDataHash(blockDataHash([envBytes]));
  block.setHeader(bh);
  const data = new common.BlockData();
  data.setDataList([envBytes]);
  block.setData(data);
  const md = new common.BlockMetadata();
  md.setMetadataList(genesisMetadata());
  block.setMetadata(md);
  return block.serializeBinary();
}

/** Just the `common.Config` message (what `configtxlator proto_encode --type common.Config` gives). */
export function encodeChannelConfig(spec: ChannelConfigSpec): Uint8Array {
  return buildConfig(spec).serializeBinary();
}

// ---------------------------------------------------------------------------------------------------------------
// configtxlator JSON (snake_case, 64-bit numbers as strings, bytes as base64, nested values decoded in place)

type Json = Record<string, unknown>;

function jsonValue(v: unknown, modPolicy = 'Admins'): Json {
  return { mod_policy: modPolicy, value: v, version: '0' };
}
function jsonGroup(groups: Json, values: Json, modPolicy = 'Admins', policies: PolicySet = []): Json {
  const ps: Json = {};
  for (const [name, def] of policies) ps[name] = { mod_policy: modPolicy, policy: jsonPolicy(def), version: '0' };
  return { groups, mod_policy: modPolicy, policies: ps, values, version: '0' };
}
/** `common.Policy` as configtxlator prints it: the value decoded by type. */
function jsonPolicy(def: PolicyDef): Json {
  if (def.type === 'implicit') return { type: common.Policy.PolicyType.IMPLICIT_META, value: { rule: def.rule, sub_policy: def.subPolicy } };
  return {
    type: common.Policy.PolicyType.SIGNATURE,
    value: {
      identities: def.principals.map((p) => ({ principal: { msp_identifier: p.mspId, role: p.role }, principal_classification: 'ROLE' })),
      rule: { n_out_of: { n: def.n, rules: def.principals.map((_, i) => ({ signed_by: i })) } },
      version: 0,
    },
  };
}
function jsonCapabilities(names: string[]): Json {
  return jsonValue({ capabilities: Object.fromEntries(names.map((n) => [n, {}])) });
}
function jsonMsp(o: MspSpec): Json {
  const roots = o.rootCertsPem;
  const cert = nodeOuCert(roots);
  const ouId = (ou: string): Json => ({ certificate: cert ? b64(cert) : null, organizational_unit_identifier: ou });
  return jsonValue({
    config: {
      admins: (o.adminsPem ?? []).map(b64),
      crypto_config: { identity_identifier_hash_function: 'SHA256', signature_hash_family: 'SHA2' },
      fabric_node_ous: {
        admin_ou_identifier: ouId(NODE_OUS.admin),
        client_ou_identifier: ouId(NODE_OUS.client),
        enable: true,
        orderer_ou_identifier: ouId(NODE_OUS.orderer),
        peer_ou_identifier: ouId(NODE_OUS.peer),
      },
      intermediate_certs: (o.intermediateCertsPem ?? []).map(b64),
      name: o.mspId,
      organizational_unit_identifiers: [],
      revocation_list: [],
      root_certs: roots.map(b64),
      signing_identity: null,
      tls_intermediate_certs: (o.tlsIntermediateCertsPem ?? []).map(b64),
      tls_root_certs: o.tlsRootCertsPem.map(b64),
    },
    type: 0,
  });
}

/** The channel configuration as configtxlator would print it: the `common.Config` JSON. */
export function channelConfigObjectJson(spec: ChannelConfigSpec): Json {
  const batch = spec.batchSize ?? DEFAULT_BATCH_SIZE;
  const raftOptions = spec.raftOptions ?? DEFAULT_RAFT_OPTIONS;
  const ordererValues: Json = {
    BatchSize: jsonValue({ absolute_max_bytes: batch.absoluteMaxBytes, max_message_count: batch.maxMessageCount, preferred_max_bytes: batch.preferredMaxBytes }),
    BatchTimeout: jsonValue({ timeout: '2s' }),
    Capabilities: jsonCapabilities(ordererCapabilities(spec)),
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
    ordererGroups[o.name] = jsonGroup(
      {},
      { ...(o.endpoints ? { Endpoints: jsonValue({ addresses: o.endpoints }) } : {}), MSP: jsonMsp(o) },
      'Admins',
      ordererOrgPolicies(o.mspId),
    );
  }
  const channelGroups: Json = { Orderer: jsonGroup(ordererGroups, ordererValues, 'Admins', ordererPolicies()) };
  if (spec.systemChannel) {
    const orgs: Json = {};
    for (const o of spec.applicationOrgs) {
      orgs[o.name] = jsonGroup({}, { MSP: jsonMsp(o) }, 'Admins', applicationOrgPolicies(o.mspId));
    }
    const consortium = jsonGroup(orgs, { ChannelCreationPolicy: jsonValue(jsonPolicy(implicit('ANY', 'Admins')), ORDERER_ADMINS) }, ORDERER_ADMINS);
    channelGroups.Consortiums = jsonGroup({ [CONSORTIUM]: consortium }, {}, ORDERER_ADMINS, [['Admins', ACCEPT_ALL]]);
  } else {
    const orgs: Json = {};
    for (const o of spec.applicationOrgs) {
      orgs[o.name] = jsonGroup(
        {},
        {
          AnchorPeers: jsonValue({ anchor_peers: o.anchorPeers.map((a) => ({ host: a.host, port: a.port })) }),
          MSP: jsonMsp(o),
        },
        'Admins',
        applicationOrgPolicies(o.mspId),
      );
    }
    channelGroups.Application = jsonGroup(orgs, { Capabilities: jsonCapabilities(applicationCapabilities(spec)) }, 'Admins', applicationPolicies());
  }
  return {
    channel_group: jsonGroup(
      channelGroups,
      {
        BlockDataHashingStructure: jsonValue({ width: 4294967295 }),
        Capabilities: jsonCapabilities(channelCapabilities(spec)),
        HashingAlgorithm: jsonValue({ name: 'SHA256' }),
        ...(spec.ordererAddresses ? { OrdererAddresses: jsonValue({ addresses: spec.ordererAddresses }, ORDERER_ADMINS) } : {}),
      },
      'Admins',
      channelPolicies(),
    ),
    sequence: String(spec.sequence ?? 0),
  };
}

/** RFC 3339 as protobuf JSON prints a Timestamp: no fraction when it is zero. */
function jsonTimestamp(at: Date): string {
  return at.toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * configtxlator-style JSON. `form: 'block'` (default) gives the decoded `common.Block` (what
 * `configtxlator proto_decode --type common.Block` prints for a config block); `form: 'config'` gives the
 * `common.Config` alone (what `jq .data.data[0].payload.data.config` extracts). Block metadata entries stay
 * opaque bytes (base64), as configtxlator prints them.
 */
export function channelConfigToJson(spec: ChannelConfigSpec, form: 'block' | 'config' = 'block'): Json {
  const config = channelConfigObjectJson(spec);
  if (form === 'config') return config;
  const b64bytes = (u: Uint8Array): string => Buffer.from(u).toString('base64');
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
                timestamp: jsonTimestamp(GENESIS_TIMESTAMP),
                tls_cert_hash: null,
                tx_id: txId(spec.channel),
                type: common.HeaderType.CONFIG,
                version: 0,
              },
              signature_header: { creator: null, nonce: b64bytes(genesisNonce(spec.channel)) },
            },
          },
          signature: null,
        },
      ],
    },
    header: { data_hash: b64bytes(blockDataHash([genesisEnvelope(spec)])), number: '0', previous_hash: null },
    metadata: { metadata: genesisMetadata().map(b64bytes) },
  };
}
