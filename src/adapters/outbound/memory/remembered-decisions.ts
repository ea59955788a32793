import type {
  Answer,
  CompiledSubject,
  Decision,
} from '../../../domain/authorization/policy-engine.js';

/**
 * Recent answers of compiled subjects, one bounded store for the whole replica. A caller asks
 * the same few questions over and over (an interceptor's permission, a UI's CheckMany), and an
 * answer only changes when a binding expires: kept with the time window it holds in, the same
 * Decision object comes back (no summary text built again, and the gRPC adapter keeps its
 * encoding). One bound for everyone: reaching it forgets the answers of the subject that has
 * held some the longest, so a caller asking about many subjects or many resources only pushes
 * older answers out, it cannot grow the replica's memory.
 */
export class RememberedDecisions {
  /** Memos holding answers, in the order they were given their first one. */
  private readonly memos = new Set<Memo>();
  private held = 0;

  constructor(private readonly maxAnswers: number) {}

  /** The subject, answering through this store. */
  remember(subject: CompiledSubject): CompiledSubject {
    return new RememberingSubject(subject, this, new Memo());
  }

  /** Answers held (for tests and metrics). */
  get size(): number {
    return this.held;
  }

  answer(
    memo: Memo,
    subject: CompiledSubject,
    permission: string,
    resource: string | undefined,
    nowMs: number,
  ): Answer {
    // Two lookups of the strings as they came, not one of a key joined from them: joining
    // makes a rope that has to be copied flat before it can be hashed, on every check.
    const where = resource ?? TENANT_WIDE;
    const known = memo.answers.get(permission)?.get(where);
    if (known !== undefined && known.fromMs <= nowMs && nowMs < known.untilMs) return known;
    const answer = subject.answer(permission, resource, nowMs);
    // NaN (an invalid `now`) is never kept: it decides nothing but this one denial.
    if (Number.isNaN(nowMs)) return answer;
    if (known === undefined) {
      if (this.held >= this.maxAnswers) this.forgetOldest();
      if (memo.size === 0) this.memos.add(memo);
      memo.size += 1;
      this.held += 1;
    }
    let byResource = memo.answers.get(permission);
    if (byResource === undefined) {
      byResource = new Map();
      memo.answers.set(permission, byResource);
    }
    byResource.set(where, answer);
    return answer;
  }

  /** Drops the answers of the memo that has held some the longest (perhaps the asking one). */
  private forgetOldest(): void {
    const oldest = this.memos.values().next();
    if (oldest.done === true) return;
    this.memos.delete(oldest.value);
    this.held -= oldest.value.size;
    oldest.value.answers.clear();
    oldest.value.size = 0;
  }
}

/** The resource key of a tenant-wide question (resources are never empty). */
const TENANT_WIDE = '';

/**
 * One compiled subject's answers, by permission, then by resource. The store holds memos, never
 * the subjects: a subject dropped for a newer policy takes its compiled roles with it, and its
 * answers wait here, counted, until they are the oldest.
 */
class Memo {
  readonly answers = new Map<string, Map<string, Answer>>();
  size = 0;
}

/** A compiled subject whose answers go through the replica's store of recent ones. */
class RememberingSubject implements CompiledSubject {
  constructor(
    private readonly compiled: CompiledSubject,
    private readonly store: RememberedDecisions,
    /** Its own, so a recompiled subject (new policy) never sees old answers. */
    private readonly memo: Memo,
  ) {}

  get tenantId(): string {
    return this.compiled.tenantId;
  }

  get subjectId(): string {
    return this.compiled.subjectId;
  }

  decide(permission: string, resource: string | undefined, now: Date): Decision {
    return this.answer(permission, resource, now.getTime()).decision;
  }

  answer(permission: string, resource: string | undefined, nowMs: number): Answer {
    return this.store.answer(this.memo, this.compiled, permission, resource, nowMs);
  }

  permissions(resource: string | undefined, now: Date): readonly string[] {
    return this.compiled.permissions(resource, now);
  }
}
