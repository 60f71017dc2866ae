import { CredentialsError } from '../errors.ts';

/**
 * Parses an ISO 8601 expiration. A value that is not a date is an error rather than ignored:
 * treating it as "never expires" would keep dead keys, and as "expired" would refetch on every call.
 */
export function parseExpiration(value: string, where: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new CredentialsError(`${where}: expiration "${value}" is not a date`);
  }
  return date;
}
