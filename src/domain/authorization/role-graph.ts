import type { Role } from './role.js';

/**
 * The first inheritance cycle among a tenant's roles, as role names along it with the first one
 * repeated at the end (`['a', 'b', 'a']`; a self-loop is `['a', 'a']`), or undefined when the
 * graph is a DAG. Inherited ids that name no role are ignored. Iterative (a 1 000-deep chain is
 * fine) and deterministic: roles are visited in the given order, inherited ids in theirs.
 *
 * To refuse a write, call it on the tenant's roles with the changed role in place.
 */
export function findInheritanceCycle(roles: readonly Role[]): string[] | undefined {
  const byId = new Map<string, Role>();
  for (const role of roles) if (!byId.has(role.id)) byId.set(role.id, role);

  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const state = new Map<string, number>();
  for (const start of byId.keys()) {
    if ((state.get(start) ?? WHITE) !== WHITE) continue;
    // Explicit DFS stack: role ids on the current path and, per entry, the next inherits index.
    const path: string[] = [start];
    const next: number[] = [0];
    state.set(start, GREY);
    for (;;) {
      const top = path.length - 1;
      const id = path[top];
      const index = next[top];
      if (id === undefined || index === undefined) break;
      const inherits = inheritedIds(byId.get(id));
      if (index >= inherits.length) {
        state.set(id, BLACK);
        path.pop();
        next.pop();
        continue;
      }
      next[top] = index + 1;
      const child = inherits[index];
      if (typeof child !== 'string' || !byId.has(child)) continue;
      const childState = state.get(child) ?? WHITE;
      if (childState === GREY) {
        const from = path.indexOf(child);
        return [...path.slice(from), child].map((roleId) => byId.get(roleId)?.name ?? roleId);
      }
      if (childState === WHITE) {
        state.set(child, GREY);
        path.push(child);
        next.push(0);
      }
    }
  }
  return undefined;
}

/** A role's inherited ids, tolerating odd stored data (never throws). */
export function inheritedIds(role: Role | undefined): readonly unknown[] {
  const inherits: unknown = role?.inherits;
  return Array.isArray(inherits) ? inherits : [];
}
