import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { sha256Hex } from '../../../src/adapters/outbound/shared/sha256.js';
import {
  AuditChainWalk,
  canonicalAuditBytes,
  chainHash,
  GENESIS_HASH,
  GENESIS_LINK,
  linkEvents,
} from '../../../src/domain/audit/audit-chain.js';
import { anAuditEvent } from '../../mothers/audit-event.mother.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const id = (n: number): string => `0e000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('canonicalAuditBytes', () => {
  it('is a canonical JSON of every stored field, keys sorted, absent parts null', () => {
    const event = anAuditEvent({
      tenantId: '0A000000-0000-4000-8000-00000000000A',
      actor: { kind: 'anonymous' },
      target: undefined,
      details: { zeta: 1, alpha: 'é', mid: null, flag: true },
    });
    expect(text(canonicalAuditBytes(event, 7))).toBe(
      '{"action":"auth.login.succeeded","actor":{"ip":null,"kind":"anonymous","requestId":null,"subjectId":null},' +
        '"details":{"alpha":"é","flag":true,"mid":null,"zeta":1},"id":"0e000000-0000-4000-8000-000000000001",' +
        '"occurredAt":"2025-02-03T04:05:06.789Z","outcome":"success","sequence":7,"target":null,' +
        '"tenantId":"0a000000-0000-4000-8000-00000000000a","v":1}',
    );
  });

  it('does not depend on the order details were written in', () => {
    const a = anAuditEvent({ details: { b: 2, a: 1 } });
    const b = anAuditEvent({ details: { a: 1, b: 2 } });
    expect(canonicalAuditBytes(a, 1)).toEqual(canonicalAuditBytes(b, 1));
  });
});

describe('chainHash', () => {
  it('is SHA-256 of the previous hash bytes followed by the canonical bytes', () => {
    const event = anAuditEvent();
    const expected = createHash('sha256')
      .update(Buffer.from(GENESIS_HASH, 'hex'))
      .update(canonicalAuditBytes(event, 1))
      .digest('hex');
    expect(chainHash(sha256Hex, GENESIS_HASH, event, 1)).toBe(expected);
  });

  it('refuses a previous hash that is not 64 lower-case hex characters', () => {
    expect(() => chainHash(sha256Hex, 'ABC', anAuditEvent(), 1)).toThrow(/64 lower-case hex/);
  });
});

describe('AuditChainWalk', () => {
  const chain = linkEvents(
    sha256Hex,
    GENESIS_LINK,
    [1, 2, 3, 4].map((n) => anAuditEvent({ id: id(n), details: { n } })),
  );
  const head = { sequence: 4, hash: chain[3]?.hash ?? '' };
  const walk = (events: typeof chain, to = head) => {
    const walker = new AuditChainWalk(sha256Hex, GENESIS_LINK);
    for (const event of events) if (!walker.check(event)) break;
    return { problem: walker.finish(to), checked: walker.checked };
  };

  it('accepts an intact chain', () => {
    expect(walk(chain)).toEqual({ problem: undefined, checked: 4 });
  });

  it('finds an altered event', () => {
    const altered = chain.map((event) =>
      event.sequence === 3 ? { ...event, outcome: 'failure' as const } : event,
    );
    expect(walk(altered)).toEqual({
      problem: { sequence: 3, problem: 'hash mismatch: the event is not what was hashed' },
      checked: 2,
    });
  });

  it('finds a missing event', () => {
    expect(walk(chain.filter((event) => event.sequence !== 2)).problem).toEqual({
      sequence: 2,
      problem: 'sequence gap: expected 2, found 3',
    });
  });

  it('finds a rewritten link', () => {
    const relinked = chain.map((event) =>
      event.sequence === 2 ? { ...event, prevHash: GENESIS_HASH } : event,
    );
    expect(walk(relinked).problem?.sequence).toBe(2);
    expect(walk(relinked).problem?.problem).toMatch(/broken link/);
  });

  it('finds a chain that stops before its head, or a head that is not its last event', () => {
    expect(walk(chain.slice(0, 3)).problem).toMatchObject({ sequence: 4 });
    expect(walk(chain, { sequence: 4, hash: GENESIS_HASH }).problem).toMatchObject({
      sequence: 4,
      problem: expect.stringMatching(/head mismatch/) as unknown,
    });
  });

  it('starts from an anchor after a prune', () => {
    const anchor = { sequence: 2, hash: chain[1]?.hash ?? '' };
    const walker = new AuditChainWalk(sha256Hex, anchor);
    expect(chain.slice(2).every((event) => walker.check(event))).toBe(true);
    expect(walker.finish(head)).toBeUndefined();
    expect(walker.checked).toBe(2);
  });
});
