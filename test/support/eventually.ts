/**
 * Retries `probe` until it passes or `withinMs` runs out (then rethrows its last failure);
 * returns how long it took. For effects that travel between replicas.
 */
export async function eventually(withinMs: number, probe: () => Promise<void>): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await probe();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > withinMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
