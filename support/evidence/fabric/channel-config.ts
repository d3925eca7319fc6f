/**
 * Decodes a Fabric channel configuration into `ChannelConfigInfo`, from
 * - protobuf: a `common.Block` whose data[0] is a CONFIG envelope, a bare `common.ConfigEnvelope`, or a bare
 *   `common.Config` (what `peer channel fetch config` and `configtxlator proto_encode` give), or
 * - configtxlator JSON: the decoded block, a config envelope, or the config alone (snake_case, base64 bytes,
 *   nested values decoded in place).
 * Both routes go through one neutral shape (`RawConfig`) so they cannot drift apart.
 */
import { extname } from 'node:path';
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import './protobuf-bounds.ts';
import { InputError } from '../../errors.ts';
import { CertificateReader } from '../certificates.ts';
import { isRecord, parseJson, readBytes, showValue, type InputBudget } from '../input.ts';
import type { BatchSizeInfo, CertificateInfo, ChannelCapabilities, ChannelConfigInfo, ChannelOrgInfo, ConsenterInfo, RaftOptionsInfo } from '../model.ts';

type Bytes = Uint8Array | string;

interface RawCert {
  bytes: Bytes;
  /** field path inside the file, for errors */
  field: string;
}
interface RawConsenter {
  host: string;
  port: number;
  id?: number;
  mspId?: string;
  serverTlsCert?: RawCert;
  clientTlsCert?: RawCert;
}
/** an MSP's certificate lists, by their FabricMSPConfig field name */
type MspCertField = 'root_certs' | 'intermediate_certs' | 'tls_root_certs' | 'tls_intermediate_certs' | 'admins';
const MSP_CERT_FIELDS: readonly MspCertField[] = ['root_certs', 'intermediate_certs', 'tls_root_certs', 'tls_intermediate_certs', 'admins'];
type RawMsp = { mspId?: string } & Record<MspCertField, RawCert[]>;
const noMspCerts = (): Record<MspCertField, RawCert[]> => ({ root_certs: [], intermediate_certs: [], tls_root_certs: [], tls_intermediate_certs: [], admins: [] });

interface RawOrg {
  name: string;
  mspId?: string;
  certs: Record<MspCertField, RawCert[]>;
  anchorPeers: Array<{ host: string; port: number }>;
  endpoints?: string[];
}
interface RawConfig {
  channelId?: string;
  sequence: string;
  consensusType: string;
  consenters: RawConsenter[];
  isSystemChannel: boolean;
  applicationOrgs: RawOrg[];
  ordererOrgs: RawOrg[];
  capabilities: ChannelCapabilities;
  ordererAddresses?: string[];
  /** `field` is the path inside the file */
  raftOptions?: Omit<RaftOptionsInfo, 'source'> & { field: string };
  batchSize?: Omit<BatchSizeInfo, 'source'> & { field: string };
}

export interface ChannelConfigReadOptions {
  /** the channel's name as the descriptor says; used when the file does not carry one (a bare Config) */
  name?: string;
  /** share certificate parsing across channels */
  reader?: CertificateReader;
  /** force the format instead of guessing from the extension and content */
  format?: 'protobuf' | 'json';
  /** counts the bytes read against the run's limits */
  budget?: InputBudget;
}

/** Read and decode a channel configuration file (.pb/.block protobuf or configtxlator .json). */
export async function readChannelConfig(file: string, opts: ChannelConfigReadOptions = {}): Promise<ChannelConfigInfo> {
  const bytes = await readBytes(file, 'channelConfig', { budget: opts.budget });
  return decodeChannelConfig(bytes, file, opts);
}

/** Decode channel configuration bytes; `file` names the source in the result and in errors. */
export function decodeChannelConfig(bytes: Uint8Array, file: string, opts: ChannelConfigReadOptions = {}): ChannelConfigInfo {
  const format = opts.format ?? guessFormat(bytes, file);
  const raw = format === 'json' ? fromJson(parseJson(Buffer.from(bytes).toString('utf8'), file, 'channel configuration JSON'), file) : fromProtobuf(bytes, file);
  return finish(raw, file, format, opts);
}

function guessFormat(bytes: Uint8Array, file: string): 'protobuf' | 'json' {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.pb' || ext === '.block' || ext === '.tx') return 'protobuf';
  for (const b of bytes) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b ? 'json' : 'protobuf';
  }
  return 'protobuf';
}

// ---------------------------------------------------------------------------------------------------------------
// Raw → ChannelConfigInfo

function finish(raw: RawConfig, file: string, format: 'protobuf' | 'json', opts: ChannelConfigReadOptions): ChannelConfigInfo {
  const reader = opts.reader ?? new CertificateReader();
  const name = raw.channelId || opts.name || file;
  const cert = (c: RawCert | undefined, source: string): CertificateInfo | undefined => {
    if (!c || c.bytes.length === 0) return undefined;
    return reader.parseOne(c.bytes, source, c.field, file);
  };
  const consenters: ConsenterInfo[] = raw.consenters.map((c, i) => {
    const info: ConsenterInfo = { host: c.host, port: c.port };
    if (c.id !== undefined) info.id = c.id;
    if (c.mspId) info.mspId = c.mspId;
    const server = cert(c.serverTlsCert, `channel:${name}#consenter[${i}].server_tls_cert`);
    const client = cert(c.clientTlsCert, `channel:${name}#consenter[${i}].client_tls_cert`);
    if (server) info.serverTlsCert = server;
    if (client) info.clientTlsCert = client;
    return info;
  });
  const org = (o: RawOrg, group: string): ChannelOrgInfo => {
    const certs = (field: MspCertField): CertificateInfo[] =>
      o.certs[field].flatMap((c, i) => {
        if (c.bytes.length === 0) return [];
        return reader.parse(c.bytes, `channel:${name}#${group}/${o.name}/MSP.${field}[${i}]`, c.field, file);
      });
    const info: ChannelOrgInfo = {
      name: o.name,
      anchorPeers: o.anchorPeers,
      rootCerts: certs('root_certs'),
      intermediateCerts: certs('intermediate_certs'),
      tlsRootCerts: certs('tls_root_certs'),
      tlsIntermediateCerts: certs('tls_intermediate_certs'),
      admins: certs('admins'),
    };
    if (o.mspId) info.mspId = o.mspId;
    if (o.endpoints) info.endpoints = o.endpoints;
    return info;
  };
  const info: ChannelConfigInfo = {
    name,
    source: file,
    format,
    sequence: raw.sequence,
    consensusType: raw.consensusType,
    consenters,
    isSystemChannel: raw.isSystemChannel,
    applicationOrgs: raw.applicationOrgs.map((o) => org(o, 'Application')),
    ordererOrgs: raw.ordererOrgs.map((o) => org(o, 'Orderer')),
    capabilities: raw.capabilities,
    ...(raw.ordererAddresses ? { ordererAddresses: raw.ordererAddresses } : {}),
  };
  if (raw.raftOptions) {
    const { field, ...options } = raw.raftOptions;
    info.raftOptions = { ...options, source: `${file}#${field}` };
  }
  if (raw.batchSize) {
    const { field, ...batch } = raw.batchSize;
    info.batchSize = { ...batch, source: `${file}#${field}` };
  }
  return info;
}

// ---------------------------------------------------------------------------------------------------------------
// protobuf

function u8(b: Bytes): Uint8Array {
  return typeof b === 'string' ? new Uint8Array(Buffer.from(b, 'base64')) : b;
}

/** Decode one nested protobuf value; an InputError naming the field when it does not parse. */
function nested<T>(file: string, field: string, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new InputError(file, field, `cannot decode ${what} (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

function hasContent(cfg: common.Config | undefined): cfg is common.Config {
  const g = cfg?.getChannelGroup();
  return Boolean(g && (g.getGroupsMap().getLength() > 0 || g.getValuesMap().getLength() > 0));
}

function fromProtobuf(bytes: Uint8Array, file: string): RawConfig {
  if (bytes.length === 0) throw new InputError(file, '', 'empty file: expected a protobuf common.Block or common.Config');
  const attempts: string[] = [];
  // 1. common.Block with a CONFIG envelope
  let blockProblem: InputError | undefined;
  try {
    const block = common.Block.deserializeBinary(bytes);
    const data = block.getData()?.getDataList() ?? [];
    if (block.hasHeader() && data.length > 0) {
      const env = nested(file, 'data.data[0]', 'common.Envelope', () => common.Envelope.deserializeBinary(u8(data[0])));
      const payload = nested(file, 'data.data[0].payload', 'common.Payload', () => common.Payload.deserializeBinary(env.getPayload_asU8()));
      const header = payload.getHeader();
      if (!header) throw new InputError(file, 'data.data[0].payload.header', 'the envelope has no header');
      const ch = nested(file, 'data.data[0].payload.header.channel_header', 'common.ChannelHeader', () =>
        common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()),
      );
      if (ch.getType() !== common.HeaderType.CONFIG) {
        throw new InputError(file, 'data.data[0].payload.header.channel_header.type', `block ${block.getHeader()?.getNumber()} is not a config block (header type ${ch.getType()}, expected 1 = CONFIG)`);
      }
      const ce = nested(file, 'data.data[0].payload.data', 'common.ConfigEnvelope', () => common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()));
      const cfg = ce.getConfig();
      if (!hasContent(cfg)) throw new InputError(file, 'data.data[0].payload.data.config', 'the config envelope holds no channel configuration');
      return walkProtobuf(cfg, file, 'data.data[0].payload.data.config', ch.getChannelId());
    }
    attempts.push('not a common.Block (no header or no data)');
  } catch (err) {
    if (err instanceof InputError) blockProblem = err;
    else attempts.push(`not a common.Block (${err instanceof Error ? err.message : String(err)})`);
  }
  // 2. common.ConfigEnvelope
  try {
    const ce = common.ConfigEnvelope.deserializeBinary(bytes);
    const cfg = ce.getConfig();
    if (hasContent(cfg)) return walkProtobuf(cfg, file, 'config');
    attempts.push('not a common.ConfigEnvelope');
  } catch (err) {
    if (err instanceof InputError) throw err;
    attempts.push(`not a common.ConfigEnvelope (${err instanceof Error ? err.message : String(err)})`);
  }
  // 3. common.Config
  try {
    const cfg = common.Config.deserializeBinary(bytes);
    if (hasContent(cfg)) return walkProtobuf(cfg, file, '');
    attempts.push('not a common.Config');
  } catch (err) {
    if (err instanceof InputError) throw err;
    attempts.push(`not a common.Config (${err instanceof Error ? err.message : String(err)})`);
  }
  if (blockProblem) throw blockProblem;
  throw new InputError(file, '', `malformed protobuf: not a Fabric channel configuration (${attempts.join('; ')})`);
}

function pbGroups(g: common.ConfigGroup): Array<[string, common.ConfigGroup]> {
  const out: Array<[string, common.ConfigGroup]> = [];
  g.getGroupsMap().forEach((v: common.ConfigGroup, k: string) => {
    out.push([k, v]);
  });
  return out;
}

function pbMsp(og: common.ConfigGroup, file: string, field: string): RawMsp {
  const v = og.getValuesMap().get('MSP');
  if (!v) return noMspCerts();
  const f = `${field}.values.MSP`;
  const cfg = nested(file, f, 'msp.MSPConfig', () => msp.MSPConfig.deserializeBinary(v.getValue_asU8()));
  if (cfg.getType() !== 0) return noMspCerts(); // idemix: no X.509 certificates
  const fab = nested(file, `${f}.value.config`, 'msp.FabricMSPConfig', () => msp.FabricMSPConfig.deserializeBinary(cfg.getConfig_asU8()));
  const lists: Record<MspCertField, Uint8Array[]> = {
    root_certs: fab.getRootCertsList_asU8(),
    intermediate_certs: fab.getIntermediateCertsList_asU8(),
    tls_root_certs: fab.getTlsRootCertsList_asU8(),
    tls_intermediate_certs: fab.getTlsIntermediateCertsList_asU8(),
    admins: fab.getAdminsList_asU8(),
  };
  const out: RawMsp = { mspId: fab.getName(), ...noMspCerts() };
  for (const name of MSP_CERT_FIELDS) out[name] = lists[name].map((bytes, i) => ({ bytes, field: `${f}.value.config.${name}[${i}]` }));
  return out;
}

/** The capability names of a group's `Capabilities` value (an empty list when the group sets none). */
function pbCapabilities(g: common.ConfigGroup | undefined, file: string, field: string): string[] {
  const v = g?.getValuesMap().get('Capabilities');
  if (!v) return [];
  const caps = nested(file, `${field}.values.Capabilities`, 'common.Capabilities', () => common.Capabilities.deserializeBinary(v.getValue_asU8()));
  const names: string[] = [];
  caps.getCapabilitiesMap().forEach((_: common.Capability, name: string) => {
    names.push(name);
  });
  return names.sort();
}

function walkProtobuf(cfg: common.Config, file: string, prefix: string, channelId?: string): RawConfig {
  const p = (s: string) => (prefix ? `${prefix}.${s}` : s);
  const channel = cfg.getChannelGroup()!;
  const groups = channel.getGroupsMap();
  const ordererGroup = groups.get('Orderer');
  const appGroup = groups.get('Application');
  const raw: RawConfig = {
    channelId: channelId || undefined,
    sequence: String(cfg.getSequence()),
    consensusType: '',
    consenters: [],
    isSystemChannel: groups.get('Consortiums') !== undefined,
    applicationOrgs: [],
    ordererOrgs: [],
    capabilities: {
      channel: pbCapabilities(channel, file, p('channel_group')),
      orderer: pbCapabilities(ordererGroup, file, p('channel_group.groups.Orderer')),
      application: pbCapabilities(appGroup, file, p('channel_group.groups.Application')),
    },
  };
  const oav = channel.getValuesMap().get('OrdererAddresses');
  if (oav) {
    const addrs = nested(file, p('channel_group.values.OrdererAddresses'), 'common.OrdererAddresses', () => common.OrdererAddresses.deserializeBinary(oav.getValue_asU8()));
    raw.ordererAddresses = addrs.getAddressesList();
  }
  if (ordererGroup) {
    const of = p('channel_group.groups.Orderer');
    const ctv = ordererGroup.getValuesMap().get('ConsensusType');
    if (ctv) {
      const ct = nested(file, `${of}.values.ConsensusType`, 'orderer.ConsensusType', () => orderer.ConsensusType.deserializeBinary(ctv.getValue_asU8()));
      raw.consensusType = ct.getType();
      if (ct.getType() === 'etcdraft') {
        const mf = `${of}.values.ConsensusType.value.metadata`;
        const md = nested(file, mf, 'orderer.etcdraft.ConfigMetadata', () => orderer.etcdraft.ConfigMetadata.deserializeBinary(ct.getMetadata_asU8()));
        raw.consenters = md.getConsentersList().map((c, i) => ({
          host: c.getHost(),
          port: c.getPort(),
          serverTlsCert: { bytes: c.getServerTlsCert_asU8(), field: `${mf}.consenters[${i}].server_tls_cert` },
          clientTlsCert: { bytes: c.getClientTlsCert_asU8(), field: `${mf}.consenters[${i}].client_tls_cert` },
        }));
        const o = md.getOptions();
        if (o) {
          raw.raftOptions = {
            tickInterval: o.getTickInterval(),
            electionTick: o.getElectionTick(),
            heartbeatTick: o.getHeartbeatTick(),
            maxInflightBlocks: o.getMaxInflightBlocks(),
            snapshotIntervalSize: o.getSnapshotIntervalSize(),
            field: `${mf}.options`,
          };
        }
      }
    }
    const bsv = ordererGroup.getValuesMap().get('BatchSize');
    if (bsv) {
      const f = `${of}.values.BatchSize.value`;
      const bs = nested(file, f, 'orderer.BatchSize', () => orderer.BatchSize.deserializeBinary(bsv.getValue_asU8()));
      raw.batchSize = { maxMessageCount: bs.getMaxMessageCount(), absoluteMaxBytes: bs.getAbsoluteMaxBytes(), preferredMaxBytes: bs.getPreferredMaxBytes(), field: f };
    }
    const osv = ordererGroup.getValuesMap().get('Orderers');
    if (osv && raw.consensusType !== 'etcdraft') {
      const f = `${of}.values.Orderers.value`;
      const os = nested(file, f, 'common.Orderers', () => common.Orderers.deserializeBinary(osv.getValue_asU8()));
      raw.consenters = os.getConsenterMappingList().map((c, i) => ({
        id: c.getId(),
        host: c.getHost(),
        port: c.getPort(),
        mspId: c.getMspId() || undefined,
        serverTlsCert: { bytes: c.getServerTlsCert_asU8(), field: `${f}.consenter_mapping[${i}].server_tls_cert` },
        clientTlsCert: { bytes: c.getClientTlsCert_asU8(), field: `${f}.consenter_mapping[${i}].client_tls_cert` },
      }));
    }
    for (const [name, og] of pbGroups(ordererGroup)) {
      const f = `${of}.groups.${name}`;
      const { mspId, ...certs } = pbMsp(og, file, f);
      const org: RawOrg = { name, mspId, certs, anchorPeers: [] };
      const ev = og.getValuesMap().get('Endpoints');
      if (ev) {
        const addrs = nested(file, `${f}.values.Endpoints`, 'common.OrdererAddresses', () => common.OrdererAddresses.deserializeBinary(ev.getValue_asU8()));
        org.endpoints = addrs.getAddressesList();
      }
      raw.ordererOrgs.push(org);
    }
  }
  if (appGroup) {
    for (const [name, og] of pbGroups(appGroup)) {
      const f = p(`channel_group.groups.Application.groups.${name}`);
      const { mspId, ...certs } = pbMsp(og, file, f);
      const org: RawOrg = { name, mspId, certs, anchorPeers: [] };
      const av = og.getValuesMap().get('AnchorPeers');
      if (av) {
        const ap = nested(file, `${f}.values.AnchorPeers`, 'peer.AnchorPeers', () => peer.AnchorPeers.deserializeBinary(av.getValue_asU8()));
        org.anchorPeers = ap.getAnchorPeersList().map((a) => ({ host: a.getHost(), port: a.getPort() }));
      }
      raw.applicationOrgs.push(org);
    }
  }
  return raw;
}

// ---------------------------------------------------------------------------------------------------------------
// configtxlator JSON

type J = Record<string, unknown>;

function fromJson(doc: unknown, file: string): RawConfig {
  if (!isRecord(doc)) throw new InputError(file, '', `expected a JSON object (a configtxlator block or config), got ${showValue(doc, { file, field: '' })}`);
  // block
  const data = isRecord(doc.data) ? doc.data.data : undefined;
  if (Array.isArray(data)) {
    const env = data[0];
    const payload = isRecord(env) ? env.payload : undefined;
    if (!isRecord(payload)) throw new InputError(file, 'data.data[0].payload', 'the block holds no envelope payload');
    const header = isRecord(payload.header) ? payload.header : {};
    const ch = isRecord(header.channel_header) ? header.channel_header : {};
    const type = ch.type;
    if (type !== undefined && Number(type) !== 1) {
      throw new InputError(file, 'data.data[0].payload.header.channel_header.type', `not a config block (header type ${showValue(type, { file, field: 'data.data[0].payload.header.channel_header.type' })}, expected 1 = CONFIG)`);
    }
    const config = isRecord(payload.data) ? payload.data.config : undefined;
    if (!isRecord(config)) throw new InputError(file, 'data.data[0].payload.data.config', 'the block holds no channel configuration');
    return walkJson(config, file, 'data.data[0].payload.data.config', typeof ch.channel_id === 'string' ? ch.channel_id : undefined);
  }
  // envelope → payload
  if (isRecord(doc.payload) && isRecord(doc.payload.data) && isRecord(doc.payload.data.config)) {
    const header = isRecord(doc.payload.header) ? doc.payload.header : {};
    const ch = isRecord(header.channel_header) ? header.channel_header : {};
    return walkJson(doc.payload.data.config, file, 'payload.data.config', typeof ch.channel_id === 'string' ? ch.channel_id : undefined);
  }
  if (isRecord(doc.config) && isRecord(doc.config.channel_group)) return walkJson(doc.config, file, 'config');
  if (isRecord(doc.channel_group)) return walkJson(doc, file, '');
  throw new InputError(file, '', 'not a configtxlator channel configuration: expected a block (data.data[0].payload.data.config), a config envelope (config.channel_group) or a config (channel_group)');
}

function jGroups(g: J, field: string, file: string): Array<[string, J]> {
  if (g.groups === undefined || g.groups === null) return [];
  if (!isRecord(g.groups)) throw new InputError(file, `${field}.groups`, `expected an object of groups, got ${showValue(g.groups, { file, field: `${field}.groups` })}`);
  return Object.entries(g.groups).map(([k, v]) => {
    if (!isRecord(v)) throw new InputError(file, `${field}.groups.${k}`, `expected a config group object, got ${showValue(v, { file, field: `${field}.groups.${k}` })}`);
    return [k, v];
  });
}

/** `values.<name>.value`, or undefined when the value is absent. */
function jValue(g: J, name: string): unknown {
  const values = isRecord(g.values) ? g.values : {};
  const v = values[name];
  return isRecord(v) ? v.value : undefined;
}

function jNumber(v: unknown, file: string, field: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new InputError(file, field, `expected a number, got ${showValue(v, { file, field })}`);
  return n;
}

/** A protobuf unsigned integer as configtxlator prints it (omitted when zero), a number or a decimal string. */
function jCount(v: unknown, file: string, field: string): number {
  if (v === undefined || v === null) return 0;
  const n = jNumber(v, file, field);
  if (!Number.isInteger(n) || n < 0) throw new InputError(file, field, `expected a non-negative integer, got ${showValue(v)}`);
  return n;
}

function jString(v: unknown, file: string, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InputError(file, field, `expected a string, got ${showValue(v, { file, field })}`);
  return v;
}

function jCert(v: unknown, file: string, field: string): RawCert | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InputError(file, field, `expected a base64 certificate, got ${showValue(v, { file, field })}`);
  return { bytes: v, field };
}

function jArray(v: unknown, file: string, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InputError(file, field, `expected a list, got ${showValue(v, { file, field })}`);
  return v;
}

function jMsp(og: J, file: string, field: string): RawMsp {
  const v = jValue(og, 'MSP');
  if (!isRecord(v)) return noMspCerts();
  const f = `${field}.values.MSP.value`;
  if (v.type !== undefined && Number(v.type) !== 0) return noMspCerts();
  const cfg = v.config;
  if (!isRecord(cfg)) throw new InputError(file, `${f}.config`, `expected the decoded FabricMSPConfig object, got ${showValue(cfg, { file, field: `${f}.config` })}`);
  const out: RawMsp = { mspId: jString(cfg.name, file, `${f}.config.name`) || undefined, ...noMspCerts() };
  for (const name of MSP_CERT_FIELDS) {
    out[name] = jArray(cfg[name], file, `${f}.config.${name}`).flatMap((c, i) => {
      const rc = jCert(c, file, `${f}.config.${name}[${i}]`);
      return rc ? [rc] : [];
    });
  }
  return out;
}

/** The capability names of a group's `Capabilities` value, as configtxlator prints it: `{capabilities: {V2_0: {}}}`. */
function jCapabilities(g: J | undefined, file: string, field: string): string[] {
  if (!g) return [];
  const v = jValue(g, 'Capabilities');
  if (v === undefined || v === null) return [];
  const f = `${field}.values.Capabilities.value`;
  if (!isRecord(v)) throw new InputError(file, f, `expected {capabilities: {...}}, got ${showValue(v)}`);
  if (v.capabilities === undefined || v.capabilities === null) return [];
  if (!isRecord(v.capabilities)) throw new InputError(file, `${f}.capabilities`, `expected a map of capability names, got ${showValue(v.capabilities)}`);
  return Object.keys(v.capabilities).sort();
}

function walkJson(config: J, file: string, prefix: string, channelId?: string): RawConfig {
  const p = (s: string) => (prefix ? `${prefix}.${s}` : s);
  const channel = config.channel_group;
  if (!isRecord(channel)) throw new InputError(file, p('channel_group'), 'missing the channel group');
  const groups = Object.fromEntries(jGroups(channel, p('channel_group'), file));
  const raw: RawConfig = {
    channelId,
    sequence: config.sequence === undefined ? '0' : String(jNumber(config.sequence, file, p('sequence'))),
    consensusType: '',
    consenters: [],
    isSystemChannel: groups.Consortiums !== undefined,
    applicationOrgs: [],
    ordererOrgs: [],
    capabilities: {
      channel: jCapabilities(channel, file, p('channel_group')),
      orderer: jCapabilities(groups.Orderer, file, p('channel_group.groups.Orderer')),
      application: jCapabilities(groups.Application, file, p('channel_group.groups.Application')),
    },
  };
  const oa = jValue(channel, 'OrdererAddresses');
  if (oa !== undefined && oa !== null) {
    const f = p('channel_group.values.OrdererAddresses.value');
    if (!isRecord(oa)) throw new InputError(file, f, `expected {addresses: [...]}, got ${showValue(oa)}`);
    raw.ordererAddresses = jArray(oa.addresses, file, `${f}.addresses`).map((a, i) => jString(a, file, `${f}.addresses[${i}]`));
  }
  const og = groups.Orderer;
  if (og) {
    const of = p('channel_group.groups.Orderer');
    const ct = jValue(og, 'ConsensusType');
    if (ct !== undefined) {
      if (!isRecord(ct)) throw new InputError(file, `${of}.values.ConsensusType.value`, `expected an object, got ${showValue(ct, { file, field: `${of}.values.ConsensusType.value` })}`);
      raw.consensusType = jString(ct.type, file, `${of}.values.ConsensusType.value.type`);
      if (raw.consensusType === 'etcdraft') {
        const mf = `${of}.values.ConsensusType.value.metadata`;
        let md: unknown = ct.metadata;
        if (typeof md === 'string') {
          // not decoded in place: base64 protobuf etcdraft.ConfigMetadata
          const m = nested(file, mf, 'orderer.etcdraft.ConfigMetadata', () => orderer.etcdraft.ConfigMetadata.deserializeBinary(u8(md as string)));
          const o = m.getOptions();
          md = {
            consenters: m.getConsentersList().map((c) => ({
              host: c.getHost(),
              port: c.getPort(),
              server_tls_cert: c.getServerTlsCert_asB64(),
              client_tls_cert: c.getClientTlsCert_asB64(),
            })),
            ...(o
              ? {
                  options: {
                    tick_interval: o.getTickInterval(),
                    election_tick: o.getElectionTick(),
                    heartbeat_tick: o.getHeartbeatTick(),
                    max_inflight_blocks: o.getMaxInflightBlocks(),
                    snapshot_interval_size: o.getSnapshotIntervalSize(),
                  },
                }
              : {}),
          };
        }
        const list = isRecord(md) ? jArray(md.consenters, file, `${mf}.consenters`) : [];
        raw.consenters = list.map((c, i) => {
          const f = `${mf}.consenters[${i}]`;
          if (!isRecord(c)) throw new InputError(file, f, `expected a consenter object, got ${showValue(c, { file, field: f })}`);
          return {
            host: jString(c.host, file, `${f}.host`),
            port: jNumber(c.port, file, `${f}.port`),
            serverTlsCert: jCert(c.server_tls_cert, file, `${f}.server_tls_cert`),
            clientTlsCert: jCert(c.client_tls_cert, file, `${f}.client_tls_cert`),
          };
        });
        const opts = isRecord(md) ? md.options : undefined;
        if (opts !== undefined && opts !== null) {
          const f = `${mf}.options`;
          if (!isRecord(opts)) throw new InputError(file, f, `expected the etcdraft Options object, got ${showValue(opts)}`);
          raw.raftOptions = {
            tickInterval: jString(opts.tick_interval, file, `${f}.tick_interval`),
            electionTick: jCount(opts.election_tick, file, `${f}.election_tick`),
            heartbeatTick: jCount(opts.heartbeat_tick, file, `${f}.heartbeat_tick`),
            maxInflightBlocks: jCount(opts.max_inflight_blocks, file, `${f}.max_inflight_blocks`),
            snapshotIntervalSize: jCount(opts.snapshot_interval_size, file, `${f}.snapshot_interval_size`),
            field: f,
          };
        }
      }
    }
    const bs = jValue(og, 'BatchSize');
    if (bs !== undefined && bs !== null) {
      const f = `${of}.values.BatchSize.value`;
      if (!isRecord(bs)) throw new InputError(file, f, `expected the BatchSize object, got ${showValue(bs)}`);
      raw.batchSize = {
        maxMessageCount: jCount(bs.max_message_count, file, `${f}.max_message_count`),
        absoluteMaxBytes: jCount(bs.absolute_max_bytes, file, `${f}.absolute_max_bytes`),
        preferredMaxBytes: jCount(bs.preferred_max_bytes, file, `${f}.preferred_max_bytes`),
        field: f,
      };
    }
    const os = jValue(og, 'Orderers');
    if (isRecord(os) && raw.consensusType !== 'etcdraft') {
      const mf = `${of}.values.Orderers.value`;
      raw.consenters = jArray(os.consenter_mapping, file, `${mf}.consenter_mapping`).map((c, i) => {
        const f = `${mf}.consenter_mapping[${i}]`;
        if (!isRecord(c)) throw new InputError(file, f, `expected a consenter object, got ${showValue(c, { file, field: f })}`);
        const rc: RawConsenter = {
          host: jString(c.host, file, `${f}.host`),
          port: jNumber(c.port, file, `${f}.port`),
          serverTlsCert: jCert(c.server_tls_cert, file, `${f}.server_tls_cert`),
          clientTlsCert: jCert(c.client_tls_cert, file, `${f}.client_tls_cert`),
        };
        if (c.id !== undefined && c.id !== null) rc.id = jNumber(c.id, file, `${f}.id`);
        const mspId = jString(c.msp_id, file, `${f}.msp_id`);
        if (mspId) rc.mspId = mspId;
        return rc;
      });
    }
    for (const [name, g] of jGroups(og, of, file)) {
      const f = `${of}.groups.${name}`;
      const { mspId, ...certs } = jMsp(g, file, f);
      const org: RawOrg = { name, mspId, certs, anchorPeers: [] };
      const ep = jValue(g, 'Endpoints');
      if (isRecord(ep)) {
        org.endpoints = jArray(ep.addresses, file, `${f}.values.Endpoints.value.addresses`).map((a, i) =>
          jString(a, file, `${f}.values.Endpoints.value.addresses[${i}]`),
        );
      }
      raw.ordererOrgs.push(org);
    }
  }
  const ag = groups.Application;
  if (ag) {
    const af = p('channel_group.groups.Application');
    for (const [name, g] of jGroups(ag, af, file)) {
      const f = `${af}.groups.${name}`;
      const { mspId, ...certs } = jMsp(g, file, f);
      const org: RawOrg = { name, mspId, certs, anchorPeers: [] };
      const ap = jValue(g, 'AnchorPeers');
      if (isRecord(ap)) {
        org.anchorPeers = jArray(ap.anchor_peers, file, `${f}.values.AnchorPeers.value.anchor_peers`).map((a, i) => {
          const af2 = `${f}.values.AnchorPeers.value.anchor_peers[${i}]`;
          if (!isRecord(a)) throw new InputError(file, af2, `expected {host, port}, got ${showValue(a, { file, field: af2 })}`);
          return { host: jString(a.host, file, `${af2}.host`), port: jNumber(a.port, file, `${af2}.port`) };
        });
      }
      raw.applicationOrgs.push(org);
    }
  }
  return raw;
}
