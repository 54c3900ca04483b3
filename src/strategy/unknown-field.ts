// The message for a key that a strategy object does not have: the key meant, or the keys there are.
import { didYouMean } from "../suggest.js";

/** `unknown field; did you mean "dependsOn"?`, or the fields `what` has when nothing is close. */
export function unknownField(key: string, known: ReadonlySet<string>, what: string): string {
  const guess = didYouMean(key, known);
  return guess === undefined ? `unknown field; ${what} has ${[...known].join(", ")}` : `unknown field; did you mean ${JSON.stringify(guess)}?`;
}
