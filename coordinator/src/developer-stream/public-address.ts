import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses a webhook may not reach unless the operator allows it (`TESSERA_WEBHOOK_ALLOW_PRIVATE`): anything
 * that is not the public internet (loopback, private, link-local, shared, documentation, multicast, reserved),
 * so an API key cannot make the coordinator call into the network it runs in. node:net's BlockList checks an
 * IPv4-mapped IPv6 address against the IPv4 rules.
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL as an IP literal (IPv6 without its brackets), or undefined when it is a name. */
function literalHost(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) === 0 ? undefined : host;
}

/**
 * Why `url` may not be a webhook, or null: checked at submit so a caller hears at once. Names are resolved
 * and every address must be public; the sender checks again when it connects (`publicOnlyLookup`), as a
 * name may resolve elsewhere by then.
 */
export async function webhookAddressRefusal(url: URL, allowPrivate: boolean): Promise<string | null> {
  if (allowPrivate) return null;
  const literal = literalHost(url);
  if (literal !== undefined) return isPublicAddress(literal) ? null : `${literal} is not a public address`;
  let addresses: LookupAddress[];
  try {
    addresses = await dnsLookupAsync(url.hostname, { all: true });
  } catch {
    return `${url.hostname} does not resolve`;
  }
  const closed = addresses.find((entry) => !isPublicAddress(entry.address));
  return closed === undefined ? null : `${url.hostname} resolves to ${closed.address}, which is not a public address`;
}

/** Throws unless a literal host is public; names are checked by `publicOnlyLookup` when connecting. */
export function assertPublicLiteral(url: URL): void {
  const literal = literalHost(url);
  if (literal !== undefined && !isPublicAddress(literal)) throw new Error(`${literal} is not a public address`);
}

/**
 * A `lookup` for node:http(s) that fails a connection to a name resolving to any non-public address: the
 * check happens on the addresses actually connected to, so a name re-pointed after the submit check gains nothing.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) {
      callback(error, '', 0);
      return;
    }
    const closed = addresses.find((entry) => !isPublicAddress(entry.address));
    const first = addresses[0];
    if (closed !== undefined || first === undefined) {
      const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${closed?.address ?? 'nothing'}, not a public address`);
      refused.code = 'ENOTPUBLIC';
      callback(refused, '', 0);
      return;
    }
    // node:net asks for every address (`all`) when it races IPv4 and IPv6, else for one.
    if (options.all === true) callback(null, addresses);
    else callback(null, first.address, first.family);
  });
};
