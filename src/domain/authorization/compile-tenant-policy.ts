import { permissionCovers } from './permission.js';
import type { CompiledSubject, CompiledTenantPolicy, Decision } from './policy-engine.js';
import type { Role, RoleBinding } from './role.js';
import { inheritedIds } from './role-graph.js';

/** FIRST CUT (naive, correct): replaced by the compiled matching structure. */
export function compileTenantPolicy(
  tenantId: string,
  roles: readonly Role[],
): CompiledTenantPolicy {
  const byId = new Map<string, Role>();
  for (const role of roles) if (!byId.has(role.id)) byId.set(role.id, role);

  const find = (
    roleId: string,
    permission: string,
  ): { path: string[]; matched: string } | undefined => {
    const stack: { id: string; path: string[] }[] = [{ id: roleId, path: [] }];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const { id, path } = stack.pop() as { id: string; path: string[] };
      const role = byId.get(id);
      if (role === undefined || seen.has(id)) continue;
      seen.add(id);
      const here = [...path, role.name];
      const matched = role.permissions.find((granted) => permissionCovers(granted, permission));
      if (matched !== undefined) return { path: here, matched };
      for (const child of inheritedIds(role)) {
        if (typeof child === 'string') stack.push({ id: child, path: here });
      }
    }
    return undefined;
  };

  return {
    tenantId,
    compileSubject(subjectId: string, bindings: readonly RoleBinding[]): CompiledSubject {
      const applies = (binding: RoleBinding, resource: string | undefined, now: Date): boolean =>
        (binding.expiresAt === undefined || binding.expiresAt.getTime() > now.getTime()) &&
        (binding.scope.kind === 'tenant' ||
          (resource !== undefined && binding.scope.resource === resource));
      return {
        tenantId,
        subjectId,
        decide(permission, resource, now): Decision {
          for (const binding of bindings) {
            if (!applies(binding, resource, now)) continue;
            const found = find(binding.roleId, permission);
            if (found !== undefined) {
              return {
                allowed: true,
                bindingId: binding.id,
                rolePath: found.path,
                matchedPermission: found.matched,
                summary: `binding ${binding.id} grants ${permission} via ${found.path.join(' > ')} (${found.matched})`,
              };
            }
          }
          return {
            allowed: false,
            bindingId: undefined,
            rolePath: [],
            matchedPermission: undefined,
            summary: `no binding grants ${permission}${resource === undefined ? ' tenant-wide' : ` on ${resource}`}`,
          };
        },
        permissions(resource, now) {
          const all = new Set<string>();
          for (const binding of bindings) {
            if (!applies(binding, resource, now)) continue;
            const stack = [binding.roleId];
            const seen = new Set<string>();
            for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
              const role = byId.get(id);
              if (role === undefined || seen.has(id)) continue;
              seen.add(id);
              for (const p of role.permissions) all.add(p);
              for (const child of inheritedIds(role))
                if (typeof child === 'string') stack.push(child);
            }
          }
          return [...all].sort();
        },
      };
    },
  };
}
