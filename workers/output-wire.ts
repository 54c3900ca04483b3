// An agent's output in the form it crosses to the main thread: serialised once, here. The
// shareability walk, which costs as much as serialising, runs only to say where a value is when
// serialising refuses it, or when the bytes may hold an object that would arrive as `{}` (a platform
// object such as a `URL`, a class whose state is in private fields), which serialising lets through.
import { toErrorInfo, type AgentErrorInfo } from "../src/error-serial.js";
import { describeValue, locateNotShareable, type NotShareable } from "../src/pool/shareable.js";
import { encodeParts, mayHoldDatalessObject, type EncodedParts } from "../src/pool/value-codec.js";
import { crossesAsIs, type WireValue } from "../src/pool/wire-value.js";

export type OutputWire =
  | { ok: true; output: WireValue }
  /** The output cannot cross: what is wrong (a DataCloneError) and where in the output. */
  | { ok: false; error: AgentErrorInfo; path: string };

export function outputWire(output: unknown): OutputWire {
  if (crossesAsIs(output)) return { ok: true, output };
  let parts: EncodedParts;
  try {
    parts = encodeParts(output);
  } catch (error) {
    const bad = notCloneable(output);
    if (bad !== undefined) return refused(bad);
    // The walk found nothing to blame (a getter that answers differently each time): the whole output.
    return refused({ path: "$", value: output, reason: `it cannot be serialised: ${toErrorInfo(error).message}` });
  }
  // A string or a typed array holds no object: its bytes need no search.
  if (typeof output === "object" && !ArrayBuffer.isView(output) && mayHoldDatalessObject(parts.stream)) {
    const bad = notCloneable(output);
    if (bad !== undefined) return refused(bad);
  }
  return { ok: true, output: parts };
}

function refused(bad: NotShareable): OutputWire {
  return { ok: false, error: { name: "DataCloneError", message: bad.reason ?? describeValue(bad.value) }, path: bad.path };
}

/** Where the output cannot cross; a walk that itself fails (too deep for the stack) blames the whole output. */
function notCloneable(output: unknown): NotShareable | undefined {
  try {
    return locateNotShareable(output, "$", { classInstances: true });
  } catch (error) {
    return { path: "$", value: output, reason: `checking it failed (${toErrorInfo(error).message})` };
  }
}
