declare const holds: unique symbol;

/**
 * JSON text in a TEXT column, typed by what it holds. Both dialects store JSON as text (one SQL
 * for SQLite and PostgreSQL); this codec is the one place it is written and read.
 */
export type Json<T> = string & { readonly [holds]?: T };

/**
 * @example
 * const text: Json<LeadTraits> = toJson({ email: 'ana@fernhill.example' });
 */
export const toJson = <T>(value: T): Json<T> => JSON.stringify(value) as Json<T>;

/**
 * @example
 * const traits = fromJson(lead.traits); // LeadTraits
 */
export const fromJson = <T>(text: Json<T>): T => JSON.parse(text) as T;

/** `toJson` for optional objects: null when absent or empty, so empty objects take no space. */
export const toJsonOrNull = <T extends object>(value: T | null | undefined): Json<T> | null => (value && Object.keys(value).length ? toJson(value) : null);

/** `fromJson` for nullable columns. */
export const fromJsonOrNull = <T>(text: Json<T> | null): T | null => (text === null ? null : fromJson(text));
