// Strict readers of APIG's JSON answers: each field has the documented type
// or the answer is refused (ResponseShapeError; the client wraps it in
// ApigProtocolError).
import { hasErrorKind } from '../common/errors.ts';

/** Why a response body is not what the API documents. */
export class ResponseShapeError extends Error {
  override readonly name = 'ResponseShapeError';
  readonly kind = 'responseShape';
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, what: string): Json {
  if (!isObject(value)) throw new ResponseShapeError(`${what} is not a JSON object`);
  return value;
}

export function requiredString(raw: Json, field: string): string {
  const value = raw[field];
  if (typeof value !== 'string' || value === '') {
    throw new ResponseShapeError(`field ${field} is missing or not a non-empty string`);
  }
  return value;
}

/** '' when absent or null. */
export function optionalString(raw: Json, field: string): string {
  const value = raw[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ResponseShapeError(`field ${field} is not a string`);
  return value;
}

/** false when absent or null. */
export function optionalBoolean(raw: Json, field: string): boolean {
  const value = raw[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ResponseShapeError(`field ${field} is not a boolean`);
  return value;
}

/** undefined when absent or null. */
export function optionalNumber(raw: Json, field: string): number | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new ResponseShapeError(`field ${field} is not a number`);
  return value;
}

export function stringArray(raw: Json, field: string): string[] {
  const value = raw[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ResponseShapeError(`field ${field} is not an array of strings`);
  }
  return value;
}

/** One page of a list answer: `{size, total, <items>: [...]}`. */
export interface Page<T> {
  total: number;
  items: T[];
}

/**
 * Reads a page: `total` a non-negative integer, `size` (when present) equal to
 * the number of items, every item parsed by `item`.
 */
export function parsePage<T>(
  raw: unknown,
  itemsField: string,
  item: (json: unknown) => T,
): Page<T> {
  const body = requireObject(raw, 'body');
  const total = body.total;
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) {
    throw new ResponseShapeError('field total is missing or not a non-negative integer');
  }
  const items = body[itemsField];
  if (!Array.isArray(items)) throw new ResponseShapeError(`field ${itemsField} is not an array`);
  const size = optionalNumber(body, 'size');
  if (size !== undefined && size !== items.length) {
    throw new ResponseShapeError(`field size is ${size} but ${itemsField} has ${items.length}`);
  }
  return {
    total,
    items: items.map((entry, index) => {
      try {
        return item(entry);
      } catch (error) {
        if (hasErrorKind(error, 'responseShape')) {
          throw new ResponseShapeError(`${itemsField}[${index}]: ${error.message}`);
        }
        throw error;
      }
    }),
  };
}
