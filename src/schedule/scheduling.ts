/** `"eager"` dispatches a step as soon as its inputs exist; `"waves"` waits for each level to finish. */
export type Scheduling = "eager" | "waves";

export const SCHEDULING_MODES: readonly Scheduling[] = ["eager", "waves"];
