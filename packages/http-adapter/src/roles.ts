import { ACTIONS, type Action } from './actions.js';
import type { Principal } from './types.js';

/** The built-in roles the handler itself enforces. */
export const ROLES = ['admin', 'operator', 'viewer'] as const;

export type Role = (typeof ROLES)[number];

/** Actions that change nothing: all a `viewer` may do. */
export const READ_ONLY_ACTIONS: readonly Action[] = [
  'job.list',
  'job.get',
  'job.status',
  'execution.list',
  'backup.list',
  'verification.get',
  'restore.status',
  'analytics.get',
  'health',
  'openapi',
];

/**
 * What each built-in role may do. `admin` and `operator` differ in reach, not in actions:
 * an `operator` acts on its own objects only (the service scopes every call that carries
 * roles without `admin`), an `admin` on every principal's.
 */
export const ROLE_ACTIONS: Readonly<Record<Role, readonly Action[]>> = {
  admin: ACTIONS,
  // Metrics cover every principal's jobs: by default an admin's (see the `metrics` option).
  operator: ACTIONS.filter((action) => action !== 'metrics'),
  viewer: READ_ONLY_ACTIONS,
};

export function isRole(name: string): name is Role {
  return (ROLES as readonly string[]).includes(name);
}

/**
 * The built-in roles `principal` holds: its known roles, or `['operator']` when it names
 * none (tokens configured before roles existed keep managing their own jobs). Unknown role
 * names count for nothing here; a host's `authorize` hook still sees them on the principal.
 */
export function effectiveRoles(principal: Pick<Principal, 'roles'>): Role[] {
  const known = [...new Set(principal.roles ?? [])].filter(isRole);
  return known.length > 0 ? known : ['operator'];
}

/** Whether any of `roles` (as `effectiveRoles` returns them) allows `action`. */
export function rolesAllow(roles: readonly Role[], action: Action): boolean {
  return roles.some((role) => ROLE_ACTIONS[role].includes(action));
}
