// How a validation message names the value it got: its text and its type.

/** `the string "3"`, `1.5 (number)`, `null (null)`, `nothing (the field is missing)`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number") return `${value} (number)`;
  return `${JSON.stringify(value) ?? String(value)} (${value === null ? "null" : Array.isArray(value) ? "array" : typeof value})`;
}
