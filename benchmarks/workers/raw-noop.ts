// The raw Piscina baseline of the overhead benchmark: a worker whose task does nothing.
export default function noop(): null {
  return null;
}
