/**
 * The one client key of the hub and the Picture Frame (per-client publish and search rates, the
 * per-client subscriber cap): IPv4 by address, IPv4-mapped IPv6 as its IPv4 address, IPv6 by /64.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { addressKey, clientKey } from '@tidings/hub';

const VECTORS: [string, string][] = [
  ['203.0.113.7', '203.0.113.7'],
  ['::ffff:203.0.113.7', '203.0.113.7'],
  ['::FFFF:203.0.113.7', '203.0.113.7'],
  ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
  ['2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
  ['2001:DB8:1:2::1', '2001:db8:1:2::/64'],
  ['2001:db8::1', '2001:db8:0:0::/64'],
  ['::1', '0:0:0:0::/64'],
  ['fe80::1:2:3:4', 'fe80:0:0:0::/64'],
];

test('addresses map to their keys', () => {
  for (const [address, key] of VECTORS) assert.equal(addressKey(address), key, address);
});

test('two addresses of one /64 share a key, two /64s do not', () => {
  assert.equal(addressKey('2001:db8:a:b::1'), addressKey('2001:db8:a:b:ffff:ffff:ffff:ffff'));
  assert.notEqual(addressKey('2001:db8:a:b::1'), addressKey('2001:db8:a:c::1'));
  assert.notEqual(addressKey('192.0.2.1'), addressKey('192.0.2.2'));
});

function request(remoteAddress: string, forwarded?: string): IncomingMessage {
  const headers = forwarded === undefined ? {} : { 'x-forwarded-for': forwarded };
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

test('a forwarded address counts only behind a trusted proxy, keyed the same way', () => {
  const req = request('10.0.0.1', '2001:db8:5:6::9, 10.0.0.1');
  assert.equal(clientKey(req, false), '10.0.0.1');
  assert.equal(clientKey(req, true), '2001:db8:5:6::/64');
  assert.equal(clientKey(request('::ffff:10.0.0.2'), true), '10.0.0.2', 'no header: the socket address');
});
