import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** Deprecated IPv4-compatible addresses (`::a.b.c.d`); ipaddr.js files them under unicast. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');
/** The well-known NAT64 prefix; ipaddr.js's `rfc6052` range also holds the local-use 64:ff9b:1::/48. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * Why we never connect to `address`, or undefined when it is a public unicast address.
 * IPv4 is refused unless ipaddr.js ranges it `unicast` (so loopback, private, link-local
 * and the 169.254.169.254 metadata address, CGNAT, 0/8, multicast, broadcast, reserved and
 * documentation ranges all are). IPv6 likewise, and the forms that carry an IPv4 address
 * (mapped, translated, compatible) are refused outright, while NAT64, 6to4 and Teredo are
 * refused when the IPv4 address they embed would be.
 */
export function addressRefusal(address: string): string | undefined {
  if (isIP(address) === 0) return 'not an IP address';
  const ip = ipaddr.parse(address);
  return ip.kind() === 'ipv4' ? ipv4Refusal(ip as IPv4) : ipv6Refusal(ip as IPv6);
}

function ipv4Refusal(ip: IPv4): string | undefined {
  const range = ip.range();
  return range === 'unicast' ? undefined : range;
}

function ipv6Refusal(ip: IPv6): string | undefined {
  const range = ip.range();
  switch (range) {
    case 'unicast':
      return ip.match(IPV4_COMPATIBLE) ? 'ipv4Compatible' : undefined;
    case 'rfc6052':
      return ip.match(NAT64_WELL_KNOWN) ? embedded(range, [ipv4At(ip, 12)]) : range;
    case '6to4':
      return embedded(range, [ipv4At(ip, 2)]);
    case 'teredo':
      // Teredo carries the server address as is and the client address with every bit flipped.
      return embedded(range, [ipv4At(ip, 4), ipv4At(ip, 12, 0xff)]);
    default:
      return range;
  }
}

function embedded(range: string, addresses: readonly IPv4[]): string | undefined {
  for (const address of addresses) {
    const refusal = ipv4Refusal(address);
    if (refusal) return `${range} embedding ${address.toString()} (${refusal})`;
  }
  return undefined;
}

function ipv4At(ip: IPv6, offset: number, flip = 0): IPv4 {
  return new ipaddr.IPv4(ip.toByteArray().slice(offset, offset + 4).map((byte) => byte ^ flip));
}
