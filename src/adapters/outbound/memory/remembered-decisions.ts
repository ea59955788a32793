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
 * encoding). One bound for everyone, oldest out first: a caller asking about many subjects or
 * many resources only pushes older answers out, it cannot grow the replica's memory.
 */
export class RememberedDecisions {
  private readonly answers = new Map<string, Answer>();
  private subjects = 0;

  constructor(private readonly maxAnswers: number) {}

  /** The subject, answering through this store. */
  remember(subject: CompiledSubject): CompiledSubject {
    this.subjects += 1;
    return new RememberingSubject(subject, this, `${String(this.subjects)} `);
  }

  /** Answers held (for tests and metrics). */
  get size(): number {
    return this.answers.size;
  }

  answer(
    key: string,
    subject: CompiledSubject,
    permission: string,
    resource: string | undefined,
    nowMs: number,
  ): Answer {
    const known = this.answers.get(key);
    if (known !== undefined && known.fromMs <= nowMs && nowMs < known.untilMs) return known;
    const answer = subject.answer(permission, resource, nowMs);
    // NaN (an invalid `now`) is never kept: it decides nothing but this one denial.
    if (!Number.isNaN(nowMs)) {
      if (known === undefined && this.answers.size >= this.maxAnswers) {
        const oldest = this.answers.keys().next();
        if (oldest.done !== true) this.answers.delete(oldest.value);
      }
      this.answers.set(key, answer);
    }
    return answer;
  }
}

/** A compiled subject whose answers go through the replica's store of recent ones. */
class RememberingSubject implements CompiledSubject {
  constructor(
    private readonly compiled: CompiledSubject,
    private readonly store: RememberedDecisions,
    /** Unique per compiled subject, so a recompiled one (new policy) never sees old answers. */
    private readonly keyPrefix: string,
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
    // Permissions hold no space and resources no whitespace: the key is unambiguous.
    const key = `${this.keyPrefix}${permission} ${resource ?? ''}`;
    return this.store.answer(key, this.compiled, permission, resource, nowMs);
  }

  permissions(resource: string | undefined, now: Date): readonly string[] {
    return this.compiled.permissions(resource, now);
  }
}
