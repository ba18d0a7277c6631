/**
 * A URL path segment read as an index in [0, bound): plain decimal digits only,
 * so "12" is 12 but "012", "+12", "1e1", "0x0c", "12.0" and " 12" are not
 * numbers at all (Number() would accept most of them).
 */
export function parseStrictIndex(segment: string, bound: number): number | null {
  if (!/^(0|[1-9][0-9]{0,14})$/.test(segment)) return null;
  const value = Number(segment);
  return value < bound ? value : null;
}
