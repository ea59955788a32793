export interface IdGenerator {
  /** A new UUID (time-ordered where the adapter can). */
  newId(): string;
}
