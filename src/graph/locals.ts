// The names a run provides to a dynamic step itself, not from the context: `item` and `index` in
// a forEach step's template, `previous` and `iteration` in a repeat step's template and `until`.
// Inside those steps they shadow any output or input of the same name; elsewhere they are unknown.

/** What a forEach step's template reads of the item it runs for. */
export const FOR_EACH_LOCALS: readonly string[] = Object.freeze(["item", "index"]);

/** What a repeat step's template and `until` read of the iteration they run in. */
export const REPEAT_LOCALS: readonly string[] = Object.freeze(["previous", "iteration"]);

/**
 * For a name read where it is not provided: what it is and where it exists, to append to an
 * unknown-input message; `undefined` for any other name.
 */
export function localHint(name: string): string | undefined {
  if (FOR_EACH_LOCALS.includes(name)) {
    return `{{ ${name} }} exists only in the template of a step with forEach (item: the item it runs for, index: its position)`;
  }
  if (REPEAT_LOCALS.includes(name)) {
    return `{{ ${name} }} exists only in the template and the until of a step with repeat (previous: the last iteration's output, iteration: 1, 2, ...)`;
  }
  return undefined;
}
