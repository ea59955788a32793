import type { AuditEvent } from './audit-event.js';

/**
 * The tamper-evident chain of a tenant's audit log. Event n (1, 2, 3... gapless per tenant)
 * stores `hash(n) = SHA-256(hash(n - 1) bytes || canonicalAuditBytes(event n))`; the first
 * event chains from `GENESIS_HASH`. Changing, removing or reordering any stored event breaks
 * every later link, which `AuditChainWalk` reports. Writers and the verifier both hash through
 * `chainHash`, so there is exactly one definition of what is hashed.
 */

/** SHA-256 of the concatenated parts, as 64 lowercase hex characters (an adapter provides it). */
export type Sha256 = (parts: readonly Uint8Array[]) => string;

/** What the first event of every tenant chains from: 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64);

/** A position in a tenant's chain: the last event's sequence and hash (0 and genesis: empty). */
export interface ChainLink {
  readonly sequence: number;
  readonly hash: string;
}

export const GENESIS_LINK: ChainLink = { sequence: 0, hash: GENESIS_HASH };

/** An event as the log stores it: with its place in the chain. */
export interface ChainedAuditEvent extends AuditEvent {
  readonly sequence: number;
  /** The hash of the event before it (or of the anchor / genesis for the first one). */
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * Where a tenant's chain starts and ends. `anchor` is GENESIS_LINK until the owner prunes old
 * events: it then moves to the last pruned event (its sequence and hash), and verification
 * starts from there. `head` is the last appended event.
 */
export interface AuditChainState {
  readonly anchor: ChainLink;
  readonly head: ChainLink;
}

/** JSON with object keys sorted (by UTF-16 code units) at every level: one text per value. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/**
 * The exact bytes hashed for one event: UTF-8 of a canonical JSON object with every field the
 * log stores (absent optional fields as null, UUIDs lower-case, time as ISO-8601 with
 * milliseconds in UTC, details with sorted keys), plus its sequence.
 */
export function canonicalAuditBytes(event: AuditEvent, sequence: number): Uint8Array {
  const canonical = canonicalJson({
    v: 1,
    tenantId: event.tenantId.toLowerCase(),
    id: event.id.toLowerCase(),
    sequence,
    occurredAt: event.occurredAt.toISOString(),
    actor: {
      kind: event.actor.kind,
      subjectId: event.actor.subjectId ?? null,
      ip: event.actor.ip ?? null,
      requestId: event.actor.requestId ?? null,
    },
    action: event.action,
    target: event.target === undefined ? null : { type: event.target.type, id: event.target.id },
    outcome: event.outcome,
    details: event.details,
  });
  return new TextEncoder().encode(canonical);
}

const HEX = /^[0-9a-f]{64}$/;

function hexBytes(hash: string): Uint8Array {
  if (!HEX.test(hash)) throw new Error('audit chain: a hash must be 64 lower-case hex characters');
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i += 1) bytes[i] = Number.parseInt(hash.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The hash of `event` at `sequence`, chained from `prevHash`. */
export function chainHash(
  sha256: Sha256,
  prevHash: string,
  event: AuditEvent,
  sequence: number,
): string {
  return sha256([hexBytes(prevHash), canonicalAuditBytes(event, sequence)]);
}

/** Gives `events`, in order, the next places after `head`. */
export function linkEvents(
  sha256: Sha256,
  head: ChainLink,
  events: readonly AuditEvent[],
): ChainedAuditEvent[] {
  const linked: ChainedAuditEvent[] = [];
  let previous = head;
  for (const event of events) {
    const sequence = previous.sequence + 1;
    const hash = chainHash(sha256, previous.hash, event, sequence);
    linked.push({ ...event, sequence, prevHash: previous.hash, hash });
    previous = { sequence, hash };
  }
  return linked;
}

/** Why the chain does not verify, and the first sequence concerned. */
export interface ChainProblem {
  readonly sequence: number;
  readonly problem: string;
}

/**
 * Verifies a chain event by event, in sequence order, from its anchor: memory stays bounded
 * whatever the chain's length (the caller pages through it). Stops at the first problem.
 */
export class AuditChainWalk {
  private last: ChainLink;
  private count = 0;
  private found: ChainProblem | undefined;

  constructor(
    private readonly sha256: Sha256,
    anchor: ChainLink,
  ) {
    this.last = anchor;
  }

  get checked(): number {
    return this.count;
  }

  get problem(): ChainProblem | undefined {
    return this.found;
  }

  /** The last verified position: page on from its sequence. */
  get position(): ChainLink {
    return this.last;
  }

  /** Checks the next stored event; false once a problem is found (stop walking). */
  check(event: ChainedAuditEvent): boolean {
    if (this.found !== undefined) return false;
    const expected = this.last.sequence + 1;
    if (event.sequence !== expected) {
      return this.fail(
        expected,
        `sequence gap: expected ${String(expected)}, found ${String(event.sequence)}`,
      );
    }
    if (event.prevHash !== this.last.hash) {
      return this.fail(expected, 'broken link: its previous hash is not the hash before it');
    }
    if (chainHash(this.sha256, this.last.hash, event, event.sequence) !== event.hash) {
      return this.fail(expected, 'hash mismatch: the event is not what was hashed');
    }
    this.count += 1;
    this.last = { sequence: event.sequence, hash: event.hash };
    return true;
  }

  /**
   * After the last event up to `head` (read before walking, so events appended meanwhile are
   * not part of this check): the chain must end exactly at the head the log recorded.
   */
  finish(head: ChainLink): ChainProblem | undefined {
    if (this.found !== undefined) return this.found;
    if (head.sequence > this.last.sequence) {
      this.fail(
        this.last.sequence + 1,
        `missing events: the chain ends at ${String(this.last.sequence)}, its head is at ${String(head.sequence)}`,
      );
    } else if (head.hash !== this.last.hash) {
      this.fail(head.sequence, 'head mismatch: the last event is not the one the head recorded');
    }
    return this.found;
  }

  private fail(sequence: number, problem: string): false {
    this.found = { sequence, problem };
    return false;
  }
}
