import { InMemorySessionStore } from '../../src/adapters/outbound/memory/in-memory-session-store.js';
import { sessionStoreContract } from './session-store.contract.js';

sessionStoreContract('InMemorySessionStore', () => Promise.resolve(new InMemorySessionStore()));
