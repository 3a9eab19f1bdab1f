import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressPrefix, clientAddressOf, proxyTrust } from './admission-address.ts';

function request(remoteAddress: string | undefined, forwardedFor?: string): IncomingMessage {
  // The two fields proxy-addr reads; a real handshake request has them too.
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { socket: { remoteAddress }, connection: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('admission addresses', () => {
  it('groups IPv4 by /24 and IPv6 by /64, in canonical form', () => {
    expect(addressPrefix('203.0.113.77')).toEqual({ address: '203.0.113.77', prefix: '203.0.113.0/24' });
    expect(addressPrefix('::ffff:198.51.100.9')).toEqual({ address: '198.51.100.9', prefix: '198.51.100.0/24' });
    expect(addressPrefix('2001:DB8:0:0:1::42')).toEqual({ address: '2001:db8::1:0:0:42', prefix: '2001:db8::/64' });
    expect(addressPrefix('2001:db8:aa:bb:cc:dd:ee:ff')).toEqual({ address: '2001:db8:aa:bb:cc:dd:ee:ff', prefix: '2001:db8:aa:bb::/64' });
    expect(addressPrefix('not an address')).toEqual({ address: 'not an address', prefix: 'not an address' });
  });

  it('believes X-Forwarded-For only from a trusted proxy, like fastify', () => {
    const none = proxyTrust('');
    const loopback = proxyTrust('loopback, 10.0.0.0/8');
    expect(clientAddressOf(request('127.0.0.1', '203.0.113.5'), none).address).toBe('127.0.0.1');
    expect(clientAddressOf(request('127.0.0.1', '203.0.113.5'), loopback).address).toBe('203.0.113.5');
    // The rightmost untrusted hop is the client: a forged entry further left changes nothing.
    expect(clientAddressOf(request('127.0.0.1', '1.2.3.4, 203.0.113.5, 10.1.1.1'), loopback).address).toBe('203.0.113.5');
    expect(clientAddressOf(request('198.51.100.1', '203.0.113.5'), loopback).address).toBe('198.51.100.1');
    expect(clientAddressOf(request(undefined, '203.0.113.5'), loopback)).toEqual({ address: 'unknown', prefix: 'unknown' });
  });
});
