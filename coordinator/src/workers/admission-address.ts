import proxyAddr from '@fastify/proxy-addr';
import ipaddr from 'ipaddr.js';
import type { IncomingMessage } from 'node:http';

/** Where a connection comes from, as admission counts it: the address, and its /24 (IPv4) or /64 (IPv6). */
export interface ClientAddress {
  address: string;
  prefix: string;
}

/** Which hops may set X-Forwarded-For: proxy-addr's test for one address at one hop. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * The proxies whose `X-Forwarded-For` is believed, from `TESSERA_TRUST_PROXY`: comma-separated addresses,
 * CIDRs or proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`); empty: none, the socket's peer is
 * the client. fastify compiles the same string the same way (its `trustProxy` option), so the HTTP API and
 * the socket gateway see one client address.
 */
export function proxyTrust(setting: string): ProxyTrust {
  const entries = setting
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.length === 0 ? () => false : proxyAddr.compile(entries);
}

/** The client's address for a socket.io handshake (`socket.request`), as fastify's `request.ip` would be. */
export function clientAddressOf(request: IncomingMessage, trust: ProxyTrust): ClientAddress {
  // A socket already closed has no peer address; proxy-addr then answers undefined despite its types.
  const address: string | undefined = request.socket.remoteAddress === undefined ? undefined : proxyAddr(request, trust);
  return addressPrefix(address ?? 'unknown');
}

/**
 * The address in canonical form and its network: IPv4 (and IPv4-mapped IPv6, `::ffff:a.b.c.d`) by /24, IPv6
 * by /64 — what one household or one customer of an ISP usually holds. Anything unparsable is its own prefix.
 */
export function addressPrefix(address: string): ClientAddress {
  if (!ipaddr.isValid(address)) return { address, prefix: address };
  const ip = ipaddr.process(address);
  const bytes = ip.toByteArray();
  const keep = ip.kind() === 'ipv4' ? 3 : 8;
  const network = ipaddr.fromByteArray(bytes.map((byte, index) => (index < keep ? byte : 0)));
  return { address: ip.toString(), prefix: `${network.toString()}/${keep * 8}` };
}
