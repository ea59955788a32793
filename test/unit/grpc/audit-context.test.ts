import { describe, expect, it } from 'vitest';

import { peerIp } from '../../../src/adapters/inbound/grpc/mappers/audit-context.mapper.js';

describe('peerIp', () => {
  it.each([
    ['127.0.0.1:5555', '127.0.0.1'],
    ['ipv4:127.0.0.1:5555', '127.0.0.1'],
    ['::1:5555', '::1'],
    ['ipv6:[::1]:5555', '::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:10.0.0.1:5555', '10.0.0.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['fe80::1%eth0:5555', 'fe80::1'],
    ['FE80::1%eth0', 'fe80::1'],
    ['[fe80::1%eth0]:5555', 'fe80::1'],
    ['ipv6:[fe80::1%25eth0]:5555', 'fe80::1'],
    ['ipv6:[fe80::abcd%2]:443', 'fe80::abcd'],
  ])('%s -> %s', (peer, ip) => {
    expect(peerIp(peer)).toBe(ip);
  });

  it.each(['unknown', 'unix:/tmp/core.sock', '', 'not-an-ip:80'])('%s -> undefined', (peer) => {
    expect(peerIp(peer)).toBeUndefined();
  });
});
