/**
 * The channel configuration encoder: the genesis block is complete the way configtxgen (Fabric 2.5) writes it for
 * the test-network `ChannelUsingRaft` profile — policies, capabilities, MSPs with NodeOUs, LAST_CONFIG metadata
 * and the data hash — and its configtxlator JSON form is exactly what the protobuf form decodes to.
 *
 * The protobuf side is read back with @hyperledger/fabric-protos and turned into configtxlator JSON by a small
 * converter here, written from the protos (not from the encoder), so the two forms are compared independently.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import {
  channelConfigToJson,
  encodeChannelConfig,
  encodeChannelConfigBlock,
  GENESIS_TIMESTAMP,
  type ChannelConfigSpec,
} from '../../support/reference/channel-config-encode.ts';
import { decodeChannelConfig } from '../../support/evidence/fabric/channel-config.ts';
import type { ChannelConfigInfo } from '../../support/evidence/model.ts';
import { channelSpec } from '../../support/reference/channels.ts';
import { issueDeploymentPki, type DeploymentPki } from '../../support/reference/pki.ts';
import { planDeployment, type DeploymentPlan } from '../../support/reference/plan.ts';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// protobuf → configtxlator JSON, from the protos

const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
/** a singular bytes field: null when empty (Go decodes an absent proto3 bytes field to nil) */
const bytesOrNull = (u: Uint8Array): string | null => (u.length ? b64(u) : null);
const enumName = (map: object, v: number): string => {
  const hit = Object.entries(map).find(([, n]) => n === v);
  assert.ok(hit, `unknown enum value ${v}`);
  return hit[0];
};

function mapEntries<V>(m: { forEach(fn: (v: V, k: string) => void): void }): Array<[string, V]> {
  const out: Array<[string, V]> = [];
  m.forEach((v, k) => out.push([k, v]));
  return out;
}

function policyJson(p: common.Policy): Json {
  const type = p.getType();
  if (type === common.Policy.PolicyType.IMPLICIT_META) {
    const imp = common.ImplicitMetaPolicy.deserializeBinary(p.getValue_asU8());
    return { type, value: { rule: enumName(common.ImplicitMetaPolicy.Rule, imp.getRule()), sub_policy: imp.getSubPolicy() } };
  }
  assert.equal(type, common.Policy.PolicyType.SIGNATURE, `policy type ${type}`);
  const env = common.SignaturePolicyEnvelope.deserializeBinary(p.getValue_asU8());
  const rule = (r: common.SignaturePolicy): Json =>
    r.hasNOutOf() ? { n_out_of: { n: r.getNOutOf()!.getN(), rules: r.getNOutOf()!.getRulesList().map(rule) } } : { signed_by: r.getSignedBy() };
  return {
    type,
    value: {
      identities: env.getIdentitiesList().map((id) => {
        assert.equal(id.getPrincipalClassification(), msp.MSPPrincipal.Classification.ROLE);
        const role = msp.MSPRole.deserializeBinary(id.getPrincipal_asU8());
        return { principal: { msp_identifier: role.getMspIdentifier(), role: enumName(msp.MSPRole.MSPRoleType, role.getRole()) }, principal_classification: 'ROLE' };
      }),
      rule: rule(env.getRule()!),
      version: env.getVersion(),
    },
  };
}

function ouJson(id: msp.FabricOUIdentifier | undefined): Json | null {
  return id ? { certificate: bytesOrNull(id.getCertificate_asU8()), organizational_unit_identifier: id.getOrganizationalUnitIdentifier() } : null;
}

function mspJson(bytes: Uint8Array): Json {
  const cfg = msp.MSPConfig.deserializeBinary(bytes);
  const f = msp.FabricMSPConfig.deserializeBinary(cfg.getConfig_asU8());
  const cc = f.getCryptoConfig()!;
  const ous = f.getFabricNodeOus();
  return {
    config: {
      admins: f.getAdminsList_asB64(),
      crypto_config: { identity_identifier_hash_function: cc.getIdentityIdentifierHashFunction(), signature_hash_family: cc.getSignatureHashFamily() },
      fabric_node_ous: ous
        ? {
            admin_ou_identifier: ouJson(ous.getAdminOuIdentifier()),
            client_ou_identifier: ouJson(ous.getClientOuIdentifier()),
            enable: ous.getEnable(),
            orderer_ou_identifier: ouJson(ous.getOrdererOuIdentifier()),
            peer_ou_identifier: ouJson(ous.getPeerOuIdentifier()),
          }
        : null,
      intermediate_certs: f.getIntermediateCertsList_asB64(),
      name: f.getName(),
      organizational_unit_identifiers: f.getOrganizationalUnitIdentifiersList().map((o) => ({ certificate: b64(o.getCertificate_asU8()), organizational_unit_identifier: o.getOrganizationalUnitIdentifier() })),
      revocation_list: f.getRevocationListList_asB64(),
      root_certs: f.getRootCertsList_asB64(),
      signing_identity: f.getSigningIdentity() ?? null,
      tls_intermediate_certs: f.getTlsIntermediateCertsList_asB64(),
      tls_root_certs: f.getTlsRootCertsList_asB64(),
    },
    type: cfg.getType(),
  };
}

function valueJson(name: string, bytes: Uint8Array): unknown {
  switch (name) {
    case 'MSP':
      return mspJson(bytes);
    case 'Capabilities':
      return { capabilities: Object.fromEntries(mapEntries<common.Capability>(common.Capabilities.deserializeBinary(bytes).getCapabilitiesMap()).map(([k]) => [k, {}])) };
    case 'Endpoints':
      return { addresses: common.OrdererAddresses.deserializeBinary(bytes).getAddressesList() };
    case 'AnchorPeers':
      return { anchor_peers: peer.AnchorPeers.deserializeBinary(bytes).getAnchorPeersList().map((a) => ({ host: a.getHost(), port: a.getPort() })) };
    case 'HashingAlgorithm':
      return { name: common.HashingAlgorithm.deserializeBinary(bytes).getName() };
    case 'BlockDataHashingStructure':
      return { width: common.BlockDataHashingStructure.deserializeBinary(bytes).getWidth() };
    case 'BatchSize': {
      const bs = orderer.BatchSize.deserializeBinary(bytes);
      return { absolute_max_bytes: bs.getAbsoluteMaxBytes(), max_message_count: bs.getMaxMessageCount(), preferred_max_bytes: bs.getPreferredMaxBytes() };
    }
    case 'BatchTimeout':
      return { timeout: orderer.BatchTimeout.deserializeBinary(bytes).getTimeout() };
    case 'ChannelCreationPolicy':
      return policyJson(common.Policy.deserializeBinary(bytes));
    case 'ConsensusType': {
      const ct = orderer.ConsensusType.deserializeBinary(bytes);
      let metadata: Json | null = null;
      if (ct.getType() === 'etcdraft') {
        const md = orderer.etcdraft.ConfigMetadata.deserializeBinary(ct.getMetadata_asU8());
        const o = md.getOptions()!;
        metadata = {
          consenters: md.getConsentersList().map((c) => ({ client_tls_cert: b64(c.getClientTlsCert_asU8()), host: c.getHost(), port: c.getPort(), server_tls_cert: b64(c.getServerTlsCert_asU8()) })),
          options: {
            election_tick: o.getElectionTick(),
            heartbeat_tick: o.getHeartbeatTick(),
            max_inflight_blocks: o.getMaxInflightBlocks(),
            snapshot_interval_size: o.getSnapshotIntervalSize(),
            tick_interval: o.getTickInterval(),
          },
        };
      } else {
        assert.equal(ct.getMetadata_asU8().length, 0);
      }
      return { metadata, state: enumName(orderer.ConsensusType.State, ct.getState()), type: ct.getType() };
    }
    case 'Orderers':
      return {
        consenter_mapping: common.Orderers.deserializeBinary(bytes).getConsenterMappingList().map((c) => {
          const idBytes = c.getIdentity_asU8();
          const id = idBytes.length ? msp.SerializedIdentity.deserializeBinary(idBytes) : undefined;
          return {
            client_tls_cert: b64(c.getClientTlsCert_asU8()),
            host: c.getHost(),
            id: c.getId(),
            identity: id ? { id_bytes: b64(id.getIdBytes_asU8()), mspid: id.getMspid() } : null,
            msp_id: c.getMspId(),
            port: c.getPort(),
            server_tls_cert: b64(c.getServerTlsCert_asU8()),
          };
        }),
      };
    default:
      assert.fail(`unexpected config value ${name}`);
  }
}

function groupJson(g: common.ConfigGroup): Json {
  return {
    groups: Object.fromEntries(mapEntries<common.ConfigGroup>(g.getGroupsMap()).map(([k, v]) => [k, groupJson(v)])),
    mod_policy: g.getModPolicy(),
    policies: Object.fromEntries(
      mapEntries<common.ConfigPolicy>(g.getPoliciesMap()).map(([k, p]) => [k, { mod_policy: p.getModPolicy(), policy: policyJson(p.getPolicy()!), version: String(p.getVersion()) }]),
    ),
    values: Object.fromEntries(
      mapEntries<common.ConfigValue>(g.getValuesMap()).map(([k, v]) => [k, { mod_policy: v.getModPolicy(), value: valueJson(k, v.getValue_asU8()), version: String(v.getVersion()) }]),
    ),
    version: String(g.getVersion()),
  };
}

function configJson(cfg: common.Config): Json {
  return { channel_group: groupJson(cfg.getChannelGroup()!), sequence: String(cfg.getSequence()) };
}

interface Decoded {
  block: common.Block;
  envBytes: Uint8Array;
  channelHeader: common.ChannelHeader;
  signatureHeader: common.SignatureHeader;
  config: common.Config;
}

function decodeBlock(bytes: Uint8Array): Decoded {
  const block = common.Block.deserializeBinary(bytes);
  const data = block.getData()!.getDataList_asU8();
  assert.equal(data.length, 1);
  const env = common.Envelope.deserializeBinary(data[0]);
  const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
  const header = payload.getHeader()!;
  return {
    block,
    envBytes: data[0],
    channelHeader: common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()),
    signatureHeader: common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()),
    config: common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig()!,
  };
}

function blockJson(d: Decoded): Json {
  const ch = d.channelHeader;
  const ts = ch.getTimestamp();
  const env = common.Envelope.deserializeBinary(d.envBytes);
  const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
  const ce = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8());
  const header = d.block.getHeader()!;
  return {
    data: {
      data: [
        {
          payload: {
            data: { config: configJson(d.config), last_update: ce.hasLastUpdate() ? 'set' : null },
            header: {
              channel_header: {
                channel_id: ch.getChannelId(),
                epoch: String(ch.getEpoch()),
                extension: bytesOrNull(ch.getExtension_asU8()),
                timestamp: ts ? new Date(ts.getSeconds() * 1000 + ts.getNanos() / 1e6).toISOString().replace(/\.000Z$/, 'Z') : null,
                tls_cert_hash: bytesOrNull(ch.getTlsCertHash_asU8()),
                tx_id: ch.getTxId(),
                type: ch.getType(),
                version: ch.getVersion(),
              },
              signature_header: { creator: bytesOrNull(d.signatureHeader.getCreator_asU8()), nonce: bytesOrNull(d.signatureHeader.getNonce_asU8()) },
            },
          },
          signature: bytesOrNull(env.getSignature_asU8()),
        },
      ],
    },
    header: { data_hash: bytesOrNull(header.getDataHash_asU8()), number: String(header.getNumber()), previous_hash: bytesOrNull(header.getPreviousHash_asU8()) },
    metadata: { metadata: d.block.getMetadata()!.getMetadataList_asU8().map(b64) },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// reading a decoded config

function path(cfg: common.Config, ...names: string[]): common.ConfigGroup {
  let g = cfg.getChannelGroup()!;
  for (const n of names) {
    const next = g.getGroupsMap().get(n);
    assert.ok(next, `no group ${names.join('/')}`);
    g = next;
  }
  return g;
}

/** a group's policies as configtx.yaml would state them: "ANY Readers" or "OR(Org1MSP.admin, ...)" */
function policyRules(g: common.ConfigGroup): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, cp] of mapEntries<common.ConfigPolicy>(g.getPoliciesMap())) {
    assert.equal(cp.getModPolicy(), 'Admins', `${name} mod_policy`);
    const p = cp.getPolicy()!;
    if (p.getType() === common.Policy.PolicyType.IMPLICIT_META) {
      const imp = common.ImplicitMetaPolicy.deserializeBinary(p.getValue_asU8());
      out[name] = `${enumName(common.ImplicitMetaPolicy.Rule, imp.getRule())} ${imp.getSubPolicy()}`;
    } else {
      assert.equal(p.getType(), common.Policy.PolicyType.SIGNATURE);
      const env = common.SignaturePolicyEnvelope.deserializeBinary(p.getValue_asU8());
      assert.equal(env.getVersion(), 0);
      const ids = env.getIdentitiesList().map((id) => {
        const r = msp.MSPRole.deserializeBinary(id.getPrincipal_asU8());
        return `${r.getMspIdentifier()}.${enumName(msp.MSPRole.MSPRoleType, r.getRole()).toLowerCase()}`;
      });
      const n = env.getRule()!.getNOutOf()!;
      assert.equal(n.getN(), 1, `${name}: OR is 1 out of n`);
      assert.deepEqual(n.getRulesList().map((r) => r.getSignedBy()), ids.map((_, i) => i), `${name}: one signed_by per principal`);
      out[name] = `OR(${ids.join(', ')})`;
    }
  }
  return out;
}

function capabilities(g: common.ConfigGroup): string[] {
  const v = g.getValuesMap().get('Capabilities');
  assert.ok(v, 'no Capabilities value');
  assert.equal(v.getModPolicy(), 'Admins');
  return mapEntries(common.Capabilities.deserializeBinary(v.getValue_asU8()).getCapabilitiesMap()).map(([k]) => k);
}

function fabricMsp(g: common.ConfigGroup): msp.FabricMSPConfig {
  const cfg = msp.MSPConfig.deserializeBinary(g.getValuesMap().get('MSP')!.getValue_asU8());
  return msp.FabricMSPConfig.deserializeBinary(cfg.getConfig_asU8());
}

// ---------------------------------------------------------------------------------------------------------------

describe('channel configuration encoder (configtxgen parity)', () => {
  let plan: DeploymentPlan;
  let pki: DeploymentPki;
  let spec: ChannelConfigSpec;
  before(async () => {
    plan = planDeployment();
    pki = await issueDeploymentPki(plan);
    spec = channelSpec(plan, pki, 'mychannel');
  });

  it('writes the ChannelUsingRaft policies, each with mod_policy Admins', () => {
    const { config } = decodeBlock(encodeChannelConfigBlock(spec));
    assert.deepEqual(policyRules(path(config)), { Admins: 'MAJORITY Admins', Readers: 'ANY Readers', Writers: 'ANY Writers' });
    assert.deepEqual(policyRules(path(config, 'Orderer')), {
      Admins: 'MAJORITY Admins',
      BlockValidation: 'ANY Writers',
      Readers: 'ANY Readers',
      Writers: 'ANY Writers',
    });
    assert.deepEqual(policyRules(path(config, 'Application')), {
      Admins: 'MAJORITY Admins',
      Endorsement: 'MAJORITY Endorsement',
      LifecycleEndorsement: 'MAJORITY Endorsement',
      Readers: 'ANY Readers',
      Writers: 'ANY Writers',
    });
    const om = plan.ordering.mspId;
    assert.equal(om, 'Org0MSP');
    assert.deepEqual(policyRules(path(config, 'Orderer', om)), {
      Admins: `OR(${om}.admin)`,
      Readers: `OR(${om}.member)`,
      Writers: `OR(${om}.member)`,
    });
    for (const m of ['Org1MSP', 'Org2MSP']) {
      assert.deepEqual(policyRules(path(config, 'Application', m)), {
        Admins: `OR(${m}.admin)`,
        Endorsement: `OR(${m}.peer)`,
        Readers: `OR(${m}.admin, ${m}.peer, ${m}.client)`,
        Writers: `OR(${m}.admin, ${m}.client)`,
      });
    }
    // every group, value and policy is version 0 and modifiable by Admins
    const walk = (g: common.ConfigGroup, where: string): void => {
      assert.equal(g.getModPolicy(), 'Admins', `${where} mod_policy`);
      assert.equal(g.getVersion(), 0, `${where} version`);
      for (const [k, v] of mapEntries<common.ConfigValue>(g.getValuesMap())) assert.deepEqual([v.getModPolicy(), v.getVersion()], ['Admins', 0], `${where}/${k}`);
      for (const [k, c] of mapEntries<common.ConfigGroup>(g.getGroupsMap())) walk(c, `${where}/${k}`);
    };
    walk(config.getChannelGroup()!, '/Channel');
  });

  it('every implicit meta policy finds its sub-policy in every child group', () => {
    const { config } = decodeBlock(encodeChannelConfigBlock(spec));
    const check = (g: common.ConfigGroup, where: string): void => {
      const children = mapEntries<common.ConfigGroup>(g.getGroupsMap());
      for (const [name, cp] of mapEntries<common.ConfigPolicy>(g.getPoliciesMap())) {
        const p = cp.getPolicy()!;
        if (p.getType() !== common.Policy.PolicyType.IMPLICIT_META) continue;
        const sub = common.ImplicitMetaPolicy.deserializeBinary(p.getValue_asU8()).getSubPolicy();
        assert.ok(children.length > 0, `${where}/${name} has no child groups`);
        for (const [c, cg] of children) assert.ok(cg.getPoliciesMap().get(sub), `${where}/${name} needs ${where}/${c}/${sub}`);
      }
      for (const [c, cg] of children) check(cg, `${where}/${c}`);
    };
    check(config.getChannelGroup()!, '/Channel');
  });

  it('sets capabilities (channel V2_0, orderer V2_0, application V2_5) and no channel-level OrdererAddresses', () => {
    const { config } = decodeBlock(encodeChannelConfigBlock(spec));
    assert.deepEqual(capabilities(path(config)), ['V2_0']);
    assert.deepEqual(capabilities(path(config, 'Orderer')), ['V2_0']);
    assert.deepEqual(capabilities(path(config, 'Application')), ['V2_5']);
    assert.equal(path(config).getValuesMap().get('OrdererAddresses'), undefined);
    assert.deepEqual(
      common.OrdererAddresses.deserializeBinary(path(config, 'Orderer', plan.ordering.mspId).getValuesMap().get('Endpoints')!.getValue_asU8()).getAddressesList(),
      plan.ordering.nodes.map((o) => `${o.host}:${o.port}`),
    );
    // BFT (Fabric 3): the channel capability is V3_0, as fabric-samples' BFT profile
    const bft = decodeBlock(encodeChannelConfigBlock({ ...spec, consensusType: 'BFT' })).config;
    assert.deepEqual(capabilities(path(bft)), ['V3_0']);
  });

  it('enables NodeOUs in every MSP, certified by the org root CA, and the issued identities carry their role OU', () => {
    const { config } = decodeBlock(encodeChannelConfigBlock(spec));
    const orgs: Array<[string, common.ConfigGroup]> = [
      [plan.ordering.name, path(config, 'Orderer', plan.ordering.mspId)],
      ...plan.orgs.map((o): [string, common.ConfigGroup] => [o.name, path(config, 'Application', o.mspId)]),
    ];
    for (const [org, g] of orgs) {
      const f = fabricMsp(g);
      const ous = f.getFabricNodeOus();
      assert.ok(ous, `${org}: no NodeOUs`);
      assert.equal(ous.getEnable(), true);
      const ids = {
        client: ous.getClientOuIdentifier()!,
        peer: ous.getPeerOuIdentifier()!,
        admin: ous.getAdminOuIdentifier()!,
        orderer: ous.getOrdererOuIdentifier()!,
      };
      for (const [role, id] of Object.entries(ids)) {
        assert.equal(id.getOrganizationalUnitIdentifier(), role);
        assert.equal(Buffer.from(id.getCertificate_asU8()).toString('utf8'), pki.orgs[org].ca.certPem, `${org} ${role} OU certificate is the root CA`);
      }
      assert.deepEqual(f.getRootCertsList_asU8().map((c) => Buffer.from(c).toString('utf8')), [pki.orgs[org].ca.certPem]);
      assert.deepEqual(f.getAdminsList(), [], `${org}: admins are identified by OU`);

      // the identities the MSP will classify: admin (OU admin), nodes (OU orderer / peer), all under the root CA
      const ca = new X509Certificate(pki.orgs[org].ca.certPem);
      const admin = new X509Certificate(pki.orgs[org].admin.enrollment.certPem);
      assert.equal(admin.subject, `CN=${org}-admin\nOU=admin\nO=${org}`);
      assert.ok(admin.verify(ca.publicKey), `${org} admin enrolment certificate is issued by the org CA`);
      const adminTls = new X509Certificate(pki.orgs[org].admin.tls.certPem);
      assert.equal(adminTls.subject, `CN=${org}-admin\nO=${org}`);
      assert.ok(adminTls.verify(new X509Certificate(pki.orgs[org].tlsCa.certPem).publicKey), `${org} admin TLS certificate is issued by the org TLS CA`);
      assert.deepEqual(adminTls.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    }
    for (const o of plan.ordering.nodes) {
      const c = new X509Certificate(pki.nodes[o.name].enrollment.certPem);
      assert.match(c.subject, /^OU=orderer$/m, o.name);
    }
    for (const p of plan.orgs.flatMap((o) => o.peers)) {
      const c = new X509Certificate(pki.nodes[p.name].enrollment.certPem);
      assert.match(c.subject, /^OU=peer$/m, p.name);
      assert.ok(c.verify(new X509Certificate(pki.orgs[p.org].ca.certPem).publicKey));
    }
  });

  it('builds the genesis block as configtxgen: header, data hash, LAST_CONFIG and SIGNATURES metadata', () => {
    const bytes = encodeChannelConfigBlock(spec);
    const d = decodeBlock(bytes);
    const header = d.block.getHeader()!;
    assert.equal(header.getNumber(), 0);
    assert.equal(header.getPreviousHash_asU8().length, 0);
    // protoutil.BlockDataHash: SHA-256 over the concatenation of block.data.data
    const concat = Buffer.concat(d.block.getData()!.getDataList_asU8());
    assert.deepEqual(Buffer.from(header.getDataHash_asU8()), createHash('sha256').update(concat).digest());

    const md = d.block.getMetadata()!.getMetadataList_asU8();
    assert.equal(md.length, 5, 'one entry per BlockMetadataIndex');
    // SIGNATURES: Metadata{value: OrdererBlockMetadata{last_config: {index: 0}}}, no signatures
    const sig = common.Metadata.deserializeBinary(md[common.BlockMetadataIndex.SIGNATURES]);
    assert.equal(sig.getSignaturesList().length, 0);
    const obm = common.OrdererBlockMetadata.deserializeBinary(sig.getValue_asU8());
    assert.ok(obm.hasLastConfig(), 'GetLastConfigIndexFromBlock dereferences last_config');
    assert.equal(obm.getLastConfig()!.getIndex(), 0);
    assert.equal(obm.getConsenterMetadata_asU8().length, 0);
    // LAST_CONFIG: Metadata{value: LastConfig{index: 0}} — all defaults, so no bytes, as Go marshals it
    const last = common.Metadata.deserializeBinary(md[common.BlockMetadataIndex.LAST_CONFIG]);
    assert.equal(common.LastConfig.deserializeBinary(last.getValue_asU8()).getIndex(), 0);
    assert.equal(md[common.BlockMetadataIndex.LAST_CONFIG].length, 0);
    assert.equal(b64(md[common.BlockMetadataIndex.SIGNATURES]), 'CgIKAA==');
    for (const i of [2, 3, 4]) assert.equal(md[i].length, 0);

    const ch = d.channelHeader;
    assert.equal(ch.getType(), common.HeaderType.CONFIG);
    assert.equal(ch.getVersion(), 0);
    assert.equal(ch.getEpoch(), 0);
    assert.equal(ch.getChannelId(), 'mychannel');
    assert.equal(ch.getTimestamp()!.getSeconds(), GENESIS_TIMESTAMP.getTime() / 1000);
    assert.equal(GENESIS_TIMESTAMP.toISOString(), '2025-01-01T00:00:00.000Z');
    // protoutil.ComputeTxID: hex(SHA-256(nonce ‖ creator))
    const nonce = d.signatureHeader.getNonce_asU8();
    assert.equal(nonce.length, 24);
    assert.equal(d.signatureHeader.getCreator_asU8().length, 0);
    assert.equal(ch.getTxId(), createHash('sha256').update(nonce).digest('hex'));
    assert.equal(common.Envelope.deserializeBinary(d.envBytes).getSignature_asU8().length, 0);
    assert.equal(d.config.getSequence(), 0);

    // deterministic: same spec, same bytes (keys are fresh per run, the encoder adds no randomness)
    assert.deepEqual(encodeChannelConfigBlock(spec), bytes);
    assert.deepEqual(channelConfigToJson(spec), channelConfigToJson(spec));
  });

  it('the configtxlator JSON is exactly what the protobuf decodes to (raft, BFT, system channel)', () => {
    const variants: Array<[string, ChannelConfigSpec]> = [
      ['raft', spec],
      ['raft, sequence 3', { ...spec, sequence: 3 }],
      [
        'BFT',
        {
          ...spec,
          channel: 'bftchannel',
          consensusType: 'BFT',
          consenters: spec.consenters.map((c, i) => (i === 0 ? { ...c, identityPem: pki.nodes[plan.ordering.nodes[0].name].enrollment.certPem } : c)),
        },
      ],
      ['system channel', { ...spec, channel: 'system-channel', systemChannel: true }],
      [
        'org without roots',
        { ...spec, applicationOrgs: [...spec.applicationOrgs, { name: 'Org3MSP', mspId: 'Org3MSP', rootCertsPem: [], tlsRootCertsPem: [], anchorPeers: [] }] },
      ],
    ];
    for (const [what, s] of variants) {
      const fromPb = blockJson(decodeBlock(encodeChannelConfigBlock(s)));
      assert.deepEqual(channelConfigToJson(s), fromPb, `${what}: block`);
      assert.deepEqual(channelConfigToJson(s, 'config'), configJson(common.Config.deserializeBinary(encodeChannelConfig(s))), `${what}: config`);
      // and the decoder reads both the same
      // the same values; each names the file it was read from
      const unsourced = (file: string, info: ChannelConfigInfo) =>
        JSON.parse(JSON.stringify({ ...info, source: undefined, format: undefined }).replaceAll(`"${file}#`, '"#'));
      const pbInfo = unsourced('x.pb', decodeChannelConfig(encodeChannelConfigBlock(s), 'x.pb'));
      const jsonInfo = unsourced('x.json', decodeChannelConfig(Buffer.from(JSON.stringify(channelConfigToJson(s))), 'x.json'));
      assert.deepEqual(jsonInfo, pbInfo, `${what}: decoded`);
    }
  });

  it('the system channel carries configtxgen’s consortium policies', () => {
    const { config } = decodeBlock(encodeChannelConfigBlock({ ...spec, channel: 'system-channel', systemChannel: true }));
    const consortiums = path(config, 'Consortiums');
    assert.equal(consortiums.getModPolicy(), '/Channel/Orderer/Admins');
    const admins = consortiums.getPoliciesMap().get('Admins')!;
    assert.equal(admins.getModPolicy(), '/Channel/Orderer/Admins');
    const accept = common.SignaturePolicyEnvelope.deserializeBinary(admins.getPolicy()!.getValue_asU8());
    assert.equal(accept.getRule()!.getNOutOf()!.getN(), 0);
    assert.deepEqual(accept.getIdentitiesList(), []);
    const ccp = common.Policy.deserializeBinary(path(config, 'Consortiums', 'SampleConsortium').getValuesMap().get('ChannelCreationPolicy')!.getValue_asU8());
    assert.equal(ccp.getType(), common.Policy.PolicyType.IMPLICIT_META);
    assert.deepEqual(common.ImplicitMetaPolicy.deserializeBinary(ccp.getValue_asU8()).toObject(), { subPolicy: 'Admins', rule: common.ImplicitMetaPolicy.Rule.ANY });
    assert.deepEqual(policyRules(path(config, 'Consortiums', 'SampleConsortium', 'Org1MSP')).Endorsement, 'OR(Org1MSP.peer)');
  });
});
