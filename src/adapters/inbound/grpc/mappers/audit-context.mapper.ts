import { isIP } from 'node:net';
import type { AuditContext } from '../../../../application/shared/audit-context.js';
import type { CallContext } from '../call-context.js';

/**
 * The caller's ip from the transport peer: grpc-js gives `address:port` (`127.0.0.1:5555`,
 * `::1:5555`), other stacks `ipv4:127.0.0.1:5555` or `ipv6:[::1]:5555`. IPv4-mapped IPv6
 * addresses become IPv4, an IPv6 zone (`%eth0`) is dropped. Anything else (a unix socket,
 * `unknown`) is undefined.
 */
export function peerIp(peer: string): string | undefined {
  const unprefixed = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(unprefixed)?.[1];
  // A port is always there on TCP (`::1:5555` is itself a valid IPv6 address, so strip first).
  const portless = unprefixed.replace(/:\d+$/, '');
  const address = [bracketed, portless, unprefixed].find(
    (candidate) => candidate !== undefined && isIP(candidate) !== 0,
  );
  if (address === undefined) return undefined;
  // A link-local peer carries its zone (`fe80::1%eth0`, `%25eth0` in brackets): meaningful to
  // this host only, and Postgres `inet` refuses it.
  const zoneless = address.replace(/%.*$/, '');
  if (isIP(zoneless) === 0) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(zoneless);
  return mapped?.[1] ?? zoneless.toLowerCase();
}

/** What the audit log records about the request: its id and the peer's ip (never a header). */
export const auditContextOf = (ctx: CallContext): AuditContext => ({
  requestId: ctx.requestId,
  ip: peerIp(ctx.peer),
});
