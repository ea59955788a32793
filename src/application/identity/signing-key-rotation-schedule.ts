/** What the schedule needs of the token service. */
export interface AgingSigningKeys {
  /** Rotates when the signing key is older than `maxAgeMs`; the new kid, or undefined. */
  rotateIfOlderThan(maxAgeMs: number): Promise<string | undefined>;
}

const DAY_MS = 86_400_000;

/**
 * Rotates the signing key once it is `rotationDays` old: checked at start and then daily on an
 * unref'd timer (it never keeps the process alive). Several replicas may check at once: a
 * rotation retires every other unretired key, and a key already waiting for activation makes
 * the others skip.
 */
export class SigningKeyRotationSchedule {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly keys: AgingSigningKeys,
    private readonly rotationDays: number,
    private readonly onRotated: (kid: string) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(checkEveryMs: number = DAY_MS): Promise<void> {
    await this.check();
    this.timer = setInterval(() => {
      void this.check();
    }, checkEveryMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  private async check(): Promise<void> {
    try {
      const kid = await this.keys.rotateIfOlderThan(this.rotationDays * DAY_MS);
      if (kid !== undefined) this.onRotated(kid);
    } catch (error) {
      this.onError(error);
    }
  }
}
