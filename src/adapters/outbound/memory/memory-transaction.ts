import { MemoryDatabaseError, type MemoryOperation, type MemoryTables } from './memory-database.js';

/**
 * A transaction over a snapshot. Like Postgres: a failed statement aborts the transaction (every
 * later statement fails, and it commits nothing), and a finished transaction cannot be used.
 */
export class MemoryTransaction {
  private readonly operations: MemoryOperation[] = [];
  private state: 'open' | 'aborted' | 'closed' = 'open';

  constructor(private readonly tables: MemoryTables) {}

  get aborted(): boolean {
    return this.state === 'aborted';
  }

  read<T>(query: (tables: MemoryTables) => T): T {
    this.assertOpen();
    return query(this.tables);
  }

  /** Runs `operation` now (its errors reach the caller) and records it for the commit. */
  write(operation: MemoryOperation): void {
    this.assertOpen();
    try {
      operation(this.tables);
    } catch (error) {
      this.state = 'aborted';
      throw error;
    }
    this.operations.push(operation);
  }

  /** The operations to replay, and closes the transaction. */
  close(): readonly MemoryOperation[] {
    this.state = 'closed';
    return this.operations;
  }

  private assertOpen(): void {
    if (this.state === 'aborted') {
      throw new MemoryDatabaseError(
        '25P02',
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    }
    if (this.state === 'closed')
      throw new Error('the unit of work is finished: its repositories are closed');
  }
}
