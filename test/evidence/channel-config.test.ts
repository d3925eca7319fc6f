import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueCA, issueLeaf, type IssuedCertificate } from '../../support/pki/issue.ts';
import {
  channelConfigToJson,
  encodeChannelConfig,
  encodeChannelConfigBlock,
  type ChannelConfigSpec,
} from '../../support/reference/channel-config-encode.ts';
import { decodeChannelConfig, readChannelConfig } from '../../support/evidence/fabric/channel-config.ts';
import type { ChannelConfigInfo } from '../../support/evidence/model.ts';
import { common, orderer } from '@hyperledger/fabric-protos';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

/** The comparable part of a decoded config (without where it came from). */
function essence(c: ChannelConfigInfo): unknown {
  const { source, format, raftOptions, batchSize, ...rest } = c;
  void source;
  void format;
  // the values, without the file#field they were read from
  const values = <T extends { source: string }>(v: T | undefined) => (v ? { ...v, source: undefined } : undefined);
  return { ...rest, raftOptions: values(raftOptions), batchSize: values(batchSize) };
}

describe('channel configuration', () => {
  let t: TmpDir;
  let spec: ChannelConfigSpec;
  let ordererCa: IssuedCertificate;
  before(async () => {
    t = await tmp();
    ordererCa = await issueCA({ commonName: 'ca.org0' });
    const org1Ca = await issueCA({ commonName: 'ca.org1' });
    const org2Ca = await issueCA({ commonName: 'ca.org2' });
    const consenters = [];
    for (let i = 1; i <= 3; i++) {
      const server = await issueLeaf(ordererCa, { commonName: `org0-orderer${i}`, dnsNames: [`org0-orderer${i}`] });
      const client = await issueLeaf(ordererCa, { commonName: `org0-orderer${i}-client` });
      consenters.push({ host: `org0-orderer${i}`, port: 6050, serverTlsCertPem: server.certPem, clientTlsCertPem: client.certPem });
    }
    spec = {
      channel: 'mychannel',
      consensusType: 'etcdraft',
      consenters,
      ordererOrgs: [{ name: 'org0', mspId: 'Org0MSP', rootCertsPem: [ordererCa.certPem], tlsRootCertsPem: [ordererCa.certPem], endpoints: ['org0-orderer1:6050', 'org0-orderer2:6050'] }],
      applicationOrgs: [
        { name: 'org1', mspId: 'Org1MSP', rootCertsPem: [org1Ca.certPem], tlsRootCertsPem: [org1Ca.certPem], anchorPeers: [{ host: 'org1-peer1', port: 7051 }, { host: 'org1-peer2', port: 7051 }] },
        { name: 'org2', mspId: 'Org2MSP', rootCertsPem: [org2Ca.certPem], tlsRootCertsPem: [], anchorPeers: [] },
      ],
      sequence: 7,
    };
  });
  after(() => t.remove());

  it('round-trips a config block through protobuf', async () => {
    const file = await t.write('mychannel.pb', encodeChannelConfigBlock(spec));
    const c = await readChannelConfig(file);
    assert.equal(c.name, 'mychannel');
    assert.equal(c.source, file);
    assert.equal(c.format, 'protobuf');
    assert.equal(c.sequence, '7');
    assert.equal(c.consensusType, 'etcdraft');
    assert.equal(c.isSystemChannel, false);
    assert.deepEqual(c.consenters.map((k) => `${k.host}:${k.port}`), ['org0-orderer1:6050', 'org0-orderer2:6050', 'org0-orderer3:6050']);
    assert.deepEqual(c.consenters[1].serverTlsCert!.dnsNames, ['org0-orderer2']);
    assert.equal(c.consenters[1].serverTlsCert!.source, 'channel:mychannel#consenter[1].server_tls_cert');
    assert.equal(c.consenters[2].clientTlsCert!.subject, 'CN=org0-orderer3-client');
    assert.deepEqual(c.applicationOrgs.map((o) => [o.name, o.mspId, o.anchorPeers.length, o.rootCerts.length]), [
      ['org1', 'Org1MSP', 2, 1],
      ['org2', 'Org2MSP', 0, 1],
    ]);
    assert.equal(c.applicationOrgs[0].rootCerts[0].subject, 'CN=ca.org1');
    assert.deepEqual(c.ordererOrgs[0].endpoints, ['org0-orderer1:6050', 'org0-orderer2:6050']);
    assert.equal(c.ordererOrgs[0].mspId, 'Org0MSP');
  });

  it('decodes configtxlator JSON (block and bare config) to the same result as protobuf', async () => {
    const fromPb = decodeChannelConfig(encodeChannelConfigBlock(spec), 'a.pb');
    const blockJson = await t.write('mychannel.json', JSON.stringify(channelConfigToJson(spec), null, 2));
    const fromJson = await readChannelConfig(blockJson);
    assert.equal(fromJson.format, 'json');
    assert.deepEqual(essence(fromJson), essence(fromPb));
    const configJson = await t.write('config.json', JSON.stringify(channelConfigToJson(spec, 'config')));
    assert.deepEqual(essence(await readChannelConfig(configJson, { name: 'mychannel' })), essence(fromPb));
    // a bare common.Config protobuf carries no channel name: the descriptor's is used
    assert.deepEqual(essence(decodeChannelConfig(encodeChannelConfig(spec), 'config.pb', { name: 'mychannel' })), essence(fromPb));
  });

  it('reads the etcdraft options and the BatchSize, defaults and given, from protobuf and JSON alike', () => {
    const pb = decodeChannelConfig(encodeChannelConfigBlock(spec), 'a.pb');
    assert.deepEqual(pb.raftOptions, {
      tickInterval: '500ms',
      electionTick: 10,
      heartbeatTick: 1,
      maxInflightBlocks: 5,
      snapshotIntervalSize: 16777216,
      source: 'a.pb#data.data[0].payload.data.config.channel_group.groups.Orderer.values.ConsensusType.value.metadata.options',
    });
    assert.deepEqual(pb.batchSize, {
      maxMessageCount: 10,
      absoluteMaxBytes: 10485760,
      preferredMaxBytes: 524288,
      source: 'a.pb#data.data[0].payload.data.config.channel_group.groups.Orderer.values.BatchSize.value',
    });
    const tuned: ChannelConfigSpec = {
      ...spec,
      raftOptions: { tickInterval: '100ms', electionTick: 20, heartbeatTick: 2, maxInflightBlocks: 7, snapshotIntervalSize: 1048576 },
      batchSize: { maxMessageCount: 500, absoluteMaxBytes: 103809024, preferredMaxBytes: 2097152 },
    };
    const fromPb = decodeChannelConfig(encodeChannelConfig(tuned), 'b.pb', { name: 'mychannel' });
    const fromJson = decodeChannelConfig(Buffer.from(JSON.stringify(channelConfigToJson(tuned, 'config'))), 'b.json', { name: 'mychannel' });
    for (const c of [fromPb, fromJson]) {
      assert.deepEqual({ ...c.raftOptions, source: undefined }, { ...tuned.raftOptions, source: undefined });
      assert.deepEqual({ ...c.batchSize, source: undefined }, { ...tuned.batchSize, source: undefined });
    }
    assert.equal(fromJson.batchSize!.source, 'b.json#channel_group.groups.Orderer.values.BatchSize.value');
    // configtxlator leaves metadata as base64 when it cannot decode it in place: the options are read from it too
    const json = channelConfigToJson(tuned, 'config') as { channel_group: { groups: { Orderer: { values: { ConsensusType: { value: { metadata: unknown } } } } } } };
    const ct = orderer.ConsensusType.deserializeBinary(
      (common.ConfigValue.deserializeBinary(common.Config.deserializeBinary(encodeChannelConfig(tuned)).getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!.serializeBinary())).getValue_asU8(),
    );
    json.channel_group.groups.Orderer.values.ConsensusType.value.metadata = ct.getMetadata_asB64();
    const b64 = decodeChannelConfig(Buffer.from(JSON.stringify(json)), 'c.json', { name: 'mychannel' });
    assert.deepEqual({ ...b64.raftOptions, source: undefined }, { ...tuned.raftOptions, source: undefined });
    // BFT channels carry no etcdraft options
    assert.equal(decodeChannelConfig(encodeChannelConfigBlock({ ...spec, consensusType: 'BFT' }), 'bft.pb').raftOptions, undefined);
  });

  it('reports a malformed BatchSize or Raft option naming its field', async () => {
    const json = channelConfigToJson(spec, 'config') as { channel_group: { groups: { Orderer: { values: { BatchSize: { value: Record<string, unknown> }; ConsensusType: { value: { metadata: { options: Record<string, unknown> } } } } } } } };
    json.channel_group.groups.Orderer.values.BatchSize.value.absolute_max_bytes = '99 MB';
    const file = await t.write('badbatch.json', JSON.stringify(json));
    let errors = await expectInputErrors(() => readChannelConfig(file));
    assertError(errors, { file, field: 'channel_group.groups.Orderer.values.BatchSize.value.absolute_max_bytes', includes: ['"99 MB"'] });
    json.channel_group.groups.Orderer.values.BatchSize.value.absolute_max_bytes = 10485760;
    json.channel_group.groups.Orderer.values.ConsensusType.value.metadata.options.election_tick = -3;
    await t.write('badbatch.json', JSON.stringify(json));
    errors = await expectInputErrors(() => readChannelConfig(file));
    assertError(errors, { file, field: 'channel_group.groups.Orderer.values.ConsensusType.value.metadata.options.election_tick', includes: ['non-negative integer'] });
  });

  it('reads BFT consenter mappings and recognises a system channel', () => {
    const bft = decodeChannelConfig(encodeChannelConfigBlock({ ...spec, consensusType: 'BFT', channel: 'bftchannel' }), 'bft.pb');
    assert.equal(bft.consensusType, 'BFT');
    assert.deepEqual(bft.consenters.map((k) => [k.id, k.mspId, k.host]), [
      [1, 'Org0MSP', 'org0-orderer1'],
      [2, 'Org0MSP', 'org0-orderer2'],
      [3, 'Org0MSP', 'org0-orderer3'],
    ]);
    const bftJson = decodeChannelConfig(Buffer.from(JSON.stringify(channelConfigToJson({ ...spec, consensusType: 'BFT', channel: 'bftchannel' }))), 'bft.json');
    assert.deepEqual(essence(bftJson), essence(bft));

    const sys = decodeChannelConfig(encodeChannelConfigBlock({ ...spec, channel: 'system-channel', systemChannel: true }), 'sys.pb');
    assert.equal(sys.isSystemChannel, true);
    assert.deepEqual(sys.applicationOrgs, []);
    const sysJson = decodeChannelConfig(Buffer.from(JSON.stringify(channelConfigToJson({ ...spec, channel: 'system-channel', systemChannel: true }))), 'sys.json');
    assert.deepEqual(essence(sysJson), essence(sys));
  });

  it('reports broken protobuf naming the file', async () => {
    const block = encodeChannelConfigBlock(spec);
    const truncated = await t.write('truncated.pb', block.slice(0, block.length - 40));
    let errors = await expectInputErrors(() => readChannelConfig(truncated));
    assertError(errors, { file: truncated, includes: ['malformed protobuf'] });

    const garbage = await t.write('garbage.pb', 'this is not a block');
    errors = await expectInputErrors(() => readChannelConfig(garbage));
    assertError(errors, { file: garbage, includes: ['not a Fabric channel configuration'] });
  });

  it('reports malformed JSON with its position and bad nested values with their field', async () => {
    const bad = await t.write('bad.json', '{\n  "channel_group": {\n    "groups": [1,\n}\n');
    let errors = await expectInputErrors(() => readChannelConfig(bad));
    assertError(errors, { file: bad, includes: [/malformed channel configuration JSON at line \d+, column \d+/] });

    const json = channelConfigToJson(spec, 'config') as { channel_group: { groups: { Orderer: { values: { ConsensusType: { value: { metadata: { consenters: Array<Record<string, unknown>> } } } } } } } };
    json.channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters[1].server_tls_cert = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64');
    json.channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters[2].port = 'many';
    const badCert = await t.write('badcert.json', JSON.stringify(json));
    errors = await expectInputErrors(() => readChannelConfig(badCert));
    assertError(errors, { file: badCert, field: 'channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters[2].port', includes: ['"many"'] });

    json.channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters[2].port = 6050;
    await t.write('badcert.json', JSON.stringify(json));
    errors = await expectInputErrors(() => readChannelConfig(badCert));
    assertError(errors, { file: badCert, field: 'channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters[1].server_tls_cert', includes: ['not a valid X.509 certificate'] });

    const notConfig = await t.write('other.json', '{"hello": "world"}');
    errors = await expectInputErrors(() => readChannelConfig(notConfig));
    assertError(errors, { file: notConfig, includes: ['not a configtxlator channel configuration'] });
  });
});
