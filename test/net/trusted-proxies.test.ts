// The trusted-proxy list: single addresses and CIDR blocks of both families,
// and the IPv4-mapped form a dual-stack listener reports for an IPv4 peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trustedProxies } from '../../src/net/trusted-proxies.ts';

test('addresses and CIDR blocks match their own addresses only', () => {
  const trusted = trustedProxies(['10.0.0.11', '192.168.8.0/24', '2001:db8::/64']);
  for (const address of ['10.0.0.11', '::ffff:10.0.0.11', '192.168.8.200', '2001:db8::1', '2001:db8::ffff:1']) assert.ok(trusted(address), address);
  for (const address of ['10.0.0.12', '192.168.9.1', '2001:db8:0:1::1', '::1', '', 'not an address']) assert.ok(!trusted(address), address);
});

test('an empty list trusts nobody', () => {
  assert.ok(!trustedProxies([])('127.0.0.1'));
});
