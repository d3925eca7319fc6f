import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readLoadBalancer } from '../../support/evidence/load-balancer/index.ts';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

const sub = '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network';
const azure = {
  name: 'corda-lb',
  type: 'Microsoft.Network/loadBalancers',
  frontendIPConfigurations: [{ name: 'fe', id: `${sub}/loadBalancers/corda-lb/frontendIPConfigurations/fe`, privateIPAddress: '10.0.0.10' }],
  backendAddressPools: [
    {
      name: 'corda-pool',
      id: `${sub}/loadBalancers/corda-lb/backendAddressPools/corda-pool`,
      backendIPConfigurations: [
        { id: `${sub}/networkInterfaces/vm-primary-nic/ipConfigurations/ipconfig1` },
        { id: `${sub}/networkInterfaces/vm-backup-nic/ipConfigurations/ipconfig1` },
      ],
      // the backup's address entry points at its NIC: one machine, listed once
      loadBalancerBackendAddresses: [{ name: 'backup', ipAddress: '10.0.0.5', networkInterfaceIPConfiguration: { id: `${sub}/networkInterfaces/vm-backup-nic/ipConfigurations/ipconfig1` } }],
    },
  ],
  probes: [
    { name: 'p2p', id: `${sub}/loadBalancers/corda-lb/probes/p2p`, protocol: 'Tcp', port: 10002, intervalInSeconds: 5, numberOfProbes: 2 },
    { name: 'web', id: `${sub}/loadBalancers/corda-lb/probes/web`, protocol: 'Http', port: 10004, requestPath: '/', intervalInSeconds: 5, probeThreshold: 3 },
  ],
  loadBalancingRules: [
    {
      name: 'p2p',
      protocol: 'Tcp',
      frontendPort: 10002,
      backendPort: 10002,
      loadDistribution: 'Default',
      probe: { id: `${sub}/loadBalancers/corda-lb/probes/p2p` },
      backendAddressPool: { id: `${sub}/loadBalancers/corda-lb/backendAddressPools/corda-pool` },
    },
    { name: 'rpc', protocol: 'Tcp', frontendPort: 10003, backendPort: 10003, loadDistribution: 'SourceIP' },
  ],
};

const aws = {
  LoadBalancerDescriptions: [
    {
      LoadBalancerName: 'corda-p2p',
      DNSName: 'corda-p2p-1.eu-west-1.elb.amazonaws.com',
      ListenerDescriptions: [{ Listener: { Protocol: 'TCP', LoadBalancerPort: 10002, InstanceProtocol: 'TCP', InstancePort: 10002 }, PolicyNames: [] }],
      Instances: [{ InstanceId: 'i-primary' }, { InstanceId: 'i-backup' }],
      HealthCheck: { Target: 'TCP:10002', Interval: 30, Timeout: 5, UnhealthyThreshold: 2, HealthyThreshold: 10 },
      Policies: { LBCookieStickinessPolicies: [], AppCookieStickinessPolicies: [], OtherPolicies: [] },
    },
    {
      LoadBalancerName: 'corda-web',
      ListenerDescriptions: [{ Listener: { Protocol: 'HTTP', LoadBalancerPort: 80, InstanceProtocol: 'HTTP', InstancePort: 10004 } }],
      Instances: [{ InstanceId: 'i-primary' }],
      HealthCheck: { Target: 'HTTP:10004/', Interval: 10, UnhealthyThreshold: 3, HealthyThreshold: 2 },
    },
  ],
  InstanceHealth: { 'corda-p2p': { InstanceStates: [{ InstanceId: 'i-primary', State: 'InService', ReasonCode: 'N/A' }, { InstanceId: 'i-backup', State: 'OutOfService', ReasonCode: 'Instance' }] } },
};

const haproxy = `
global
    stats socket /tmp/haproxy.sock mode 600 level admin

defaults
    mode tcp
    timeout connect 1s
    default-server inter 1s fall 3 rise 2

frontend p2p
    bind 127.0.0.10:10002
    default_backend p2p-nodes

frontend web
    bind 127.0.0.10:10004
    mode http
    default_backend web-nodes

backend p2p-nodes
    server primary 127.0.0.4:10002 check inter 200ms fall 2 rise 1
    server backup 127.0.0.5:10002 check inter 200ms fall 2 rise 1

backend web-nodes
    mode http
    option httpchk GET /
    server primary 127.0.0.4:10004 check
    server backup 127.0.0.5:10004 check

listen rpc
    bind 127.0.0.10:10003
    balance source
    server primary 127.0.0.4:10003 check port 10003
    server backup 127.0.0.5:10003 check port 10003
`;

describe('load-balancer exports', () => {
  let t: TmpDir;
  before(async () => {
    t = await tmp();
  });
  after(() => t.remove());

  it('reads an Azure "az network lb show" export', async () => {
    const f = await t.write('azure.json', JSON.stringify(azure, null, 2));
    const lb = await readLoadBalancer(f);
    assert.equal(lb.kind, 'azure');
    assert.equal(lb.source, f);
    assert.equal(lb.address, '10.0.0.10');
    assert.deepEqual(lb.probes, [
      { name: 'p2p', protocol: 'tcp', port: 10002, intervalSeconds: 5, unhealthyThreshold: 2 },
      { name: 'web', protocol: 'http', port: 10004, path: '/', intervalSeconds: 5, unhealthyThreshold: 3 },
    ]);
    assert.deepEqual(lb.rules, [
      { name: 'p2p', protocol: 'tcp', frontendPort: 10002, backendPort: 10002, sessionPersistence: 'none', probe: 'p2p', pool: 'corda-pool' },
      { name: 'rpc', protocol: 'tcp', frontendPort: 10003, backendPort: 10003, sessionPersistence: 'client-ip' },
    ]);
    assert.deepEqual(lb.pools, [{ name: 'corda-pool', members: ['10.0.0.5', 'vm-primary-nic'] }]);
  });

  it('reads an AWS classic ELB export with instance health', async () => {
    const f = await t.write('aws.json', JSON.stringify(aws));
    const lb = await readLoadBalancer(f);
    assert.equal(lb.kind, 'aws');
    assert.deepEqual(lb.loadBalancers, ['corda-p2p', 'corda-web']);
    assert.deepEqual(lb.probes, [
      { name: 'corda-p2p', protocol: 'tcp', port: 10002, intervalSeconds: 30, unhealthyThreshold: 2, healthyThreshold: 10 },
      { name: 'corda-web', protocol: 'http', port: 10004, path: '/', intervalSeconds: 10, unhealthyThreshold: 3, healthyThreshold: 2 },
    ]);
    assert.deepEqual(lb.rules.map((r) => [r.name, r.frontendPort, r.backendPort, r.probe, r.pool, r.sessionPersistence]), [
      ['corda-p2p:10002', 10002, 10002, 'corda-p2p', 'corda-p2p', 'none'],
      ['corda-web:80', 80, 10004, 'corda-web', 'corda-web', 'none'],
    ]);
    assert.deepEqual(lb.pools, [
      { name: 'corda-p2p', members: ['i-primary', 'i-backup'] },
      { name: 'corda-web', members: ['i-primary'] },
    ]);
    assert.deepEqual(lb.memberHealth, [
      { pool: 'corda-p2p', member: 'i-primary', state: 'InService' },
      { pool: 'corda-p2p', member: 'i-backup', state: 'OutOfService', reason: 'Instance' },
    ]);
  });

  it('reads a HAProxy configuration', async () => {
    const f = await t.write('haproxy.cfg', haproxy);
    const lb = await readLoadBalancer(f);
    assert.equal(lb.kind, 'haproxy');
    assert.equal(lb.address, '127.0.0.10');
    assert.deepEqual(lb.probes, [
      { name: 'p2p-nodes', protocol: 'tcp', port: 10002, intervalSeconds: 0.2, unhealthyThreshold: 2, healthyThreshold: 1 },
      { name: 'web-nodes', protocol: 'http', port: 10004, path: '/', intervalSeconds: 1, unhealthyThreshold: 3, healthyThreshold: 2 },
      { name: 'rpc', protocol: 'tcp', port: 10003, intervalSeconds: 1, unhealthyThreshold: 3, healthyThreshold: 2 },
    ]);
    assert.deepEqual(lb.rules, [
      { name: 'p2p', protocol: 'tcp', frontendPort: 10002, backendPort: 10002, pool: 'p2p-nodes', sessionPersistence: 'none', probe: 'p2p-nodes' },
      { name: 'web', protocol: 'http', frontendPort: 10004, backendPort: 10004, pool: 'web-nodes', sessionPersistence: 'none', probe: 'web-nodes' },
      { name: 'rpc', protocol: 'tcp', frontendPort: 10003, backendPort: 10003, pool: 'rpc', sessionPersistence: 'client-ip', probe: 'rpc' },
    ]);
    assert.deepEqual(lb.pools.map((p) => [p.name, p.members]), [
      ['p2p-nodes', ['127.0.0.4', '127.0.0.5']],
      ['web-nodes', ['127.0.0.4', '127.0.0.5']],
      ['rpc', ['127.0.0.4', '127.0.0.5']],
    ]);
  });

  it('reports malformed JSON with its position, wrong types with their field, and bad HAProxy lines', async () => {
    const bad = await t.write('bad.json', '{\n  "probes": [\n    { "name": "p2p", }\n  ]\n}\n');
    let errors = await expectInputErrors(() => readLoadBalancer(bad));
    assertError(errors, { file: bad, includes: [/malformed load-balancer export JSON at line 3, column \d+/] });

    const wrong = await t.write('wrong.json', JSON.stringify({ ...azure, probes: [{ name: 'p2p', protocol: 'Tcp', port: 'ten' }] }));
    errors = await expectInputErrors(() => readLoadBalancer(wrong));
    assertError(errors, { file: wrong, field: 'probes[0].port', includes: ['"ten"'] });

    const unknown = await t.write('unknown.json', '{"something": "else"}');
    errors = await expectInputErrors(() => readLoadBalancer(unknown));
    assertError(errors, { file: unknown, includes: ['unrecognized load-balancer export'] });

    const hap = await t.write('bad.cfg', 'backend x\n    server primary 127.0.0.4:10002 check inter soon\n');
    errors = await expectInputErrors(() => readLoadBalancer(hap));
    assertError(errors, { file: hap, field: 'backend.x.server.primary.inter', includes: ['line 2', '"soon"'] });
  });
});
