/** Who may call an operation, as declared next to it in the contract. */
export type AccessRule =
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'platform' }
  | { readonly kind: 'permission'; readonly permission: string };
