import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { certCoversHost, dnsNameMatches, majority, nowOf, redactUrl, splitHostPort } from '../../support/checks/common.ts';
import { podsNamed } from '../../support/checks/kube.ts';
import { buildEvidence, fakeCert } from '../helpers/evidence-builder.ts';

describe('host-name matching', () => {
  it('matches names case-insensitively, ignoring a trailing dot', () => {
    assert.ok(dnsNameMatches('Org0-Orderer1', 'org0-orderer1.'));
    assert.ok(!dnsNameMatches('org0-orderer1', 'org0-orderer10'));
  });
  it('lets a wildcard stand for exactly one left-most label', () => {
    assert.ok(dnsNameMatches('*.example.com', 'orderer3.example.com'));
    assert.ok(!dnsNameMatches('*.example.com', 'a.orderer3.example.com'));
    assert.ok(!dnsNameMatches('*.example.com', 'example.com'));
    assert.ok(!dnsNameMatches('orderer*.example.com', 'orderer3.example.com'));
    assert.ok(!dnsNameMatches('www.*.com', 'www.example.com'));
  });
  it('uses IP SANs for an address and DNS SANs for a name', () => {
    const cert = fakeCert({ cn: 'x', source: 's', issuer: 'CN=ca', dnsNames: ['10.0.0.1', 'host'], ipAddresses: ['10.0.0.2', '::1'] });
    assert.ok(certCoversHost(cert, '10.0.0.2'));
    assert.ok(!certCoversHost(cert, '10.0.0.1'), 'an address is not matched against DNS names');
    assert.ok(certCoversHost(cert, '0:0:0:0:0:0:0:1'));
    assert.ok(certCoversHost(cert, 'HOST'));
  });
});

describe('small helpers', () => {
  it('computes the Raft majority', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
  });
  it('splits host and port, IPv6 included', () => {
    assert.deepEqual(splitHostPort('10.0.0.10:10002'), { host: '10.0.0.10', port: 10002 });
    assert.deepEqual(splitHostPort('[::1]:10002'), { host: '::1', port: 10002 });
    assert.deepEqual(splitHostPort('corda-lb'), { host: 'corda-lb' });
    assert.equal(splitHostPort(''), undefined);
  });
  it('reads the reference time from settings.now', () => {
    const e = buildEvidence();
    assert.equal(nowOf(e), Date.parse('2026-01-01T00:00:00Z'));
    delete e.settings.now;
    const t = nowOf(e);
    assert.ok(Math.abs(t - Date.now()) < 5000);
  });
  it('masks passwords in URLs', () => {
    assert.equal(redactUrl('postgresql://corda:pw@db:5432/corda'), 'postgresql://corda:[REDACTED]@db:5432/corda');
    assert.equal(redactUrl('jdbc:sqlserver://db:1433;user=corda;password=pw'), 'jdbc:sqlserver://db:1433;user=corda;password=[REDACTED]');
  });
  it('finds the pods of a workload by app label or by name with a replica suffix only', () => {
    const cluster = buildEvidence().fabric!.kubernetes[0];
    assert.deepEqual(podsNamed(cluster, 'org1-peer1').map((p) => p.name), ['org1-peer1-5c7d9b8f4-x2kzq']);
    for (const p of cluster.pods) delete p.labels.app;
    assert.deepEqual(podsNamed(cluster, 'org1-peer1').map((p) => p.name), ['org1-peer1-5c7d9b8f4-x2kzq']);
    assert.deepEqual(podsNamed(cluster, 'org1-peer').map((p) => p.name), []);
    assert.deepEqual(podsNamed(cluster, 'org0-orderer1').map((p) => p.name), ['org0-orderer1-0']);
  });
});
