/**
 * What FAB-CERT-01, FAB-ORD-13 and FAB-CAP-01 read from a channel configuration, in both forms (protobuf block and
 * configtxlator JSON): every certificate list of an MSP, the orderer organizations' endpoints, the deprecated
 * channel-level OrdererAddresses and the capabilities of /Channel, /Channel/Orderer and /Channel/Application.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueCA, issueLeaf } from '../../support/pki/issue.ts';
import { channelConfigToJson, encodeChannelConfig, encodeChannelConfigBlock, type ChannelConfigSpec } from '../../support/reference/channel-config-encode.ts';
import { decodeChannelConfig, readChannelConfig } from '../../support/evidence/fabric/channel-config.ts';
import type { ChannelConfigInfo } from '../../support/evidence/model.ts';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

/** what a channel configuration says, apart from where it was read (the file, its format, the fields' paths in it) */
function essence(c: ChannelConfigInfo): unknown {
  const { source, format, raftOptions, batchSize, ...rest } = c;
  void source;
  void format;
  const unsourced = <T extends { source: string }>(v: T | undefined) => {
    if (!v) return undefined;
    const { source: where, ...values } = v;
    void where;
    return values;
  };
  return { ...rest, raftOptions: unsourced(raftOptions), batchSize: unsourced(batchSize) };
}

const subjects = (certs: Array<{ subject: string }> | undefined) => (certs ?? []).map((c) => c.subject);

describe('channel configuration: MSP certificates, orderer endpoints and capabilities', () => {
  let t: TmpDir;
  let spec: ChannelConfigSpec;
  before(async () => {
    t = await tmp();
    const root = await issueCA({ commonName: 'org1-ca' });
    const ica = await issueLeaf(root, { commonName: 'org1-ica', isCA: true });
    const tlsRoot = await issueCA({ commonName: 'org1-tls-ca' });
    const tlsIca = await issueLeaf(tlsRoot, { commonName: 'org1-tls-ica', isCA: true });
    const admin = await issueLeaf(ica, { commonName: 'org1-admin', organizationalUnit: 'admin', tls: false });
    const ordRoot = await issueCA({ commonName: 'org0-ca' });
    const server = await issueLeaf(ordRoot, { commonName: 'org0-orderer1', dnsNames: ['org0-orderer1'] });
    spec = {
      channel: 'archive',
      consensusType: 'etcdraft',
      consenters: [{ host: 'org0-orderer1', port: 6050, serverTlsCertPem: server.certPem, clientTlsCertPem: server.certPem }],
      ordererOrgs: [{ name: 'Org0MSP', mspId: 'Org0MSP', rootCertsPem: [ordRoot.certPem], tlsRootCertsPem: [ordRoot.certPem] }],
      applicationOrgs: [
        {
          name: 'Org1MSP',
          mspId: 'Org1MSP',
          rootCertsPem: [root.certPem],
          intermediateCertsPem: [ica.certPem],
          tlsRootCertsPem: [tlsRoot.certPem],
          tlsIntermediateCertsPem: [tlsIca.certPem],
          adminsPem: [admin.certPem],
          anchorPeers: [],
        },
      ],
      capabilities: { channel: ['V1_4_3'], application: ['V1_4_2', 'V2_0'] },
      ordererAddresses: ['org0-orderer1:7050'],
    };
  });
  after(() => t.remove());

  it('reads every certificate list of an MSP, with a source naming the field', async () => {
    const c = await readChannelConfig(await t.write('archive.pb', encodeChannelConfigBlock(spec)));
    const org1 = c.applicationOrgs[0];
    assert.deepEqual(subjects(org1.rootCerts), ['CN=org1-ca']);
    assert.deepEqual(subjects(org1.intermediateCerts), ['CN=org1-ica']);
    assert.deepEqual(subjects(org1.tlsRootCerts), ['CN=org1-tls-ca']);
    assert.deepEqual(subjects(org1.tlsIntermediateCerts), ['CN=org1-tls-ica']);
    assert.deepEqual(subjects(org1.admins), ['CN=org1-admin, OU=admin']);
    assert.equal(org1.intermediateCerts![0].source, 'channel:archive#Application/Org1MSP/MSP.intermediate_certs[0]');
    assert.equal(org1.admins![0].source, 'channel:archive#Application/Org1MSP/MSP.admins[0]');
    assert.deepEqual(subjects(c.ordererOrgs[0].tlsRootCerts), ['CN=org0-ca']);
  });

  it('reads the capabilities of each group, an orderer organization without Endpoints, and the channel-level OrdererAddresses', async () => {
    const c = decodeChannelConfig(encodeChannelConfigBlock(spec), 'archive.pb');
    assert.deepEqual(c.capabilities, { channel: ['V1_4_3'], orderer: ['V2_0'], application: ['V1_4_2', 'V2_0'] });
    assert.equal(c.ordererOrgs[0].endpoints, undefined, 'no Endpoints value: the org publishes none');
    assert.deepEqual(c.ordererAddresses, ['org0-orderer1:7050']);
    const withEndpoints = decodeChannelConfig(
      encodeChannelConfigBlock({ ...spec, ordererAddresses: undefined, capabilities: undefined, ordererOrgs: [{ ...spec.ordererOrgs[0], endpoints: ['org0-orderer1:7050'] }] }),
      'b.pb',
    );
    assert.deepEqual(withEndpoints.ordererOrgs[0].endpoints, ['org0-orderer1:7050']);
    assert.equal(withEndpoints.ordererAddresses, undefined);
    assert.deepEqual(withEndpoints.capabilities, { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_5'] }, 'the encoder defaults (Fabric 2.5 test network)');
  });

  it('gives the same result from configtxlator JSON (block and bare config) as from protobuf', async () => {
    const fromPb = decodeChannelConfig(encodeChannelConfigBlock(spec), 'a.pb');
    assert.deepEqual(essence(await readChannelConfig(await t.write('archive.json', JSON.stringify(channelConfigToJson(spec))))), essence(fromPb));
    const bare = decodeChannelConfig(encodeChannelConfig(spec), 'config.pb', { name: 'archive' });
    assert.deepEqual(essence(bare), essence(fromPb));
    const config = await readChannelConfig(await t.write('config.json', JSON.stringify(channelConfigToJson(spec, 'config'))), { name: 'archive' });
    assert.deepEqual(essence(config), essence(fromPb));
  });

  it('reports a malformed capability, address or certificate list naming the file and field', async () => {
    type Config = { channel_group: { values: Record<string, { value: unknown }>; groups: Record<string, { groups: Record<string, { values: Record<string, { value: { config: Record<string, unknown> } }> }> }> } };
    const cases: Array<{ name: string; field: string; includes: RegExp; spoil(c: Config): void }> = [
      { name: 'capabilities', field: 'channel_group.values.Capabilities.value.capabilities', includes: /map of capability names/, spoil: (c) => void (c.channel_group.values.Capabilities.value = { capabilities: ['V2_0'] }) },
      { name: 'addresses', field: 'channel_group.values.OrdererAddresses.value.addresses', includes: /expected a list/, spoil: (c) => void (c.channel_group.values.OrdererAddresses.value = { addresses: 'org0-orderer1:7050' }) },
      {
        name: 'admins',
        field: 'channel_group.groups.Application.groups.Org1MSP.values.MSP.value.config.admins',
        includes: /expected a list/,
        spoil: (c) => void (c.channel_group.groups.Application.groups.Org1MSP.values.MSP.value.config.admins = 'not-a-list'),
      },
      {
        name: 'intermediate',
        field: 'channel_group.groups.Application.groups.Org1MSP.values.MSP.value.config.intermediate_certs[0]',
        includes: /not a PEM certificate/,
        spoil: (c) => void (c.channel_group.groups.Application.groups.Org1MSP.values.MSP.value.config.intermediate_certs = [Buffer.from('no certificate').toString('base64')]),
      },
    ];
    for (const k of cases) {
      const bad = channelConfigToJson(spec, 'config') as unknown as Config;
      k.spoil(bad);
      const file = await t.write(`bad-${k.name}.json`, JSON.stringify(bad));
      assertError(await expectInputErrors(() => readChannelConfig(file, { name: 'archive' })), { file, field: k.field, includes: [k.includes] });
    }
  });
});
