/** Who may call an operation, as declared next to it in the contract. */
export type AccessRule =
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'platform' }
  | { readonly kind: 'permission'; readonly permission: string }
  /** Anonymous callers pass (the operation decides on self-service); others need the permission. */
  | { readonly kind: 'permission_or_self_service'; readonly permission: string };
