import type { Role } from './role.js';

/**
 * The first inheritance cycle among a tenant's roles, as role names along it with the first one
 * repeated at the end (`['a', 'b', 'a']`; a self-loop is `['a', 'a']`), or undefined when the
 * graph is a DAG. Inherited ids that name no role are ignored. Iterative (a 1 000-deep chain is
 * fine) and deterministic: roles are visited in the given order, inherited ids in theirs.
 *
 * To refuse a write, call it on the tenant's roles with the changed role in place, and its id as
 * `from`: the walk starts there, so a cycle through it reads from it
 * (`['viewer', 'project-lead', 'editor', 'viewer']`).
 */
export function findInheritanceCycle(roles: readonly Role[], from?: string): string[] | undefined {
  const byId = indexRoles(roles);
  const cycle = walkRoleGraph(byId, from).firstCycle;
  return cycle?.map((roleId) => byId.get(roleId)?.name ?? roleId);
}

/** Roles by id; the first of duplicate ids wins (odd stored data never throws). */
export function indexRoles(roles: readonly Role[]): Map<string, Role> {
  const byId = new Map<string, Role>();
  for (const role of roles) {
    if (typeof role.id === 'string' && !byId.has(role.id)) byId.set(role.id, role);
  }
  return byId;
}

/** A role's inherited ids, tolerating odd stored data (never throws). */
export function inheritedIds(role: Role | undefined): readonly unknown[] {
  const inherits: unknown = role?.inherits;
  return Array.isArray(inherits) ? inherits : [];
}

export interface RoleGraphWalk {
  /**
   * Per role id, the ids it inherits that name known roles, deduplicated, in their order, without
   * the edges that close a cycle: always a DAG, even over odd stored data.
   */
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** Role ids along the first cycle met, the first repeated at the end. */
  readonly firstCycle: string[] | undefined;
}

const WHITE = 0;
const GREY = 1;
const BLACK = 2;

/**
 * One iterative depth-first walk over the inheritance graph (O(roles + edges), explicit stack):
 * finds the first cycle and the acyclic child lists the engine compiles closures over.
 */
export function walkRoleGraph(byId: ReadonlyMap<string, Role>, from?: string): RoleGraphWalk {
  const children = new Map<string, string[]>();
  for (const [id, role] of byId) {
    const known = new Set<string>();
    for (const child of inheritedIds(role)) {
      if (typeof child === 'string' && byId.has(child)) known.add(child);
    }
    children.set(id, [...known]);
  }

  let firstCycle: string[] | undefined;
  const state = new Map<string, number>();
  const starts = from !== undefined && byId.has(from) ? [from, ...byId.keys()] : byId.keys();
  for (const start of starts) {
    if (state.has(start)) continue;
    // The current path, and per entry the index of the next child to look at.
    const path: string[] = [start];
    const next: number[] = [0];
    state.set(start, GREY);
    for (;;) {
      const top = path.length - 1;
      const id = path[top];
      const index = next[top];
      if (id === undefined || index === undefined) break;
      const kids = children.get(id) ?? [];
      const child = kids[index];
      if (child === undefined) {
        state.set(id, BLACK);
        path.pop();
        next.pop();
        continue;
      }
      const childState = state.get(child) ?? WHITE;
      if (childState === GREY) {
        firstCycle ??= [...path.slice(path.indexOf(child)), child];
        kids.splice(index, 1); // drop the edge closing the cycle; same index next round
        continue;
      }
      next[top] = index + 1;
      if (childState === WHITE) {
        state.set(child, GREY);
        path.push(child);
        next.push(0);
      }
    }
  }
  return { children, firstCycle };
}

/**
 * `roleId` and the roles inheriting it, directly or not, that no role inherits, in
 * breadth-first order up from `roleId`. Every closure containing `roleId`'s is contained in one
 * of theirs, so a limit on closures holds for all of them when it holds for these. Iterative,
 * O(roles + edges); `children` as `walkRoleGraph` gives them (acyclic), unknown ids ignored.
 */
export function topmostInheritors(
  children: ReadonlyMap<string, readonly string[]>,
  roleId: string,
): string[] {
  const parents = new Map<string, string[]>();
  for (const [id, kids] of children) {
    for (const child of kids) {
      const list = parents.get(child);
      if (list === undefined) parents.set(child, [id]);
      else list.push(id);
    }
  }
  const tops: string[] = [];
  const seen = new Set<string>([roleId]);
  const queue: string[] = [roleId];
  // The queue grows while it is read: an array iterator reads its length at every step.
  for (const id of queue) {
    const above = parents.get(id);
    if (above === undefined) {
      tops.push(id);
      continue;
    }
    for (const parent of above) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return tops;
}
