import { describe, expect, it } from '@jest/globals';
import { addressRefusal } from './address-policy';

describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.170', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:8.8.8.8', 'ipv4Mapped'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['::7f00:1', 'ipv4Compatible'],
    ['::808:808', 'ipv4Compatible'],
    ['64:ff9b:1::1', 'rfc6052'],
  ])('refuses %s (%s)', (address, range) => {
    expect(addressRefusal(address)).toBe(range);
  });

  it.each([
    ['64:ff9b::7f00:1', 'rfc6052 embedding 127.0.0.1 (loopback)'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052 embedding 169.254.169.254 (linkLocal)'],
    ['2002:7f00:1::', '6to4 embedding 127.0.0.1 (loopback)'],
    ['2002:c0a8:101::1', '6to4 embedding 192.168.1.1 (private)'],
    // Teredo: server 8.8.8.8, client 127.0.0.1 stored with every bit flipped.
    ['2001:0:808:808:0:0:80ff:fffe', 'teredo embedding 127.0.0.1 (loopback)'],
    ['2001:0:a00:1::f7f7:f7f7', 'teredo embedding 10.0.0.1 (private)'],
  ])('refuses %s, which embeds a forbidden IPv4 address', (address, reason) => {
    expect(addressRefusal(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '151.101.1.1', '2606:4700::1111', '2a00:1450:4001::200e', '64:ff9b::808:808', '2002:808:808::1', '2001:0:808:808::f7f7:f7f7'])(
    'lets the public address %s through',
    (address) => {
      expect(addressRefusal(address)).toBeUndefined();
    },
  );

  it('refuses anything that is not an IP address', () => {
    expect(addressRefusal('localhost')).toBe('not an IP address');
    expect(addressRefusal('0177.0.0.1')).toBe('not an IP address');
    expect(addressRefusal('')).toBe('not an IP address');
  });
});
