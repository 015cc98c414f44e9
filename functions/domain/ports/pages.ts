/** One page of a list, and how to ask for one: every list of the API pages the same way. */
export type Page<T> = { items: T[]; nextCursor: string | null };
export type PageRequest = { limit: number; cursor?: string };
