// Parsed liquid templates by their text, least recently used first out. Generated workflows repeat
// templates across many steps, and a run renders each template again: the cache parses a text once
// while it is in use, yet a step does not keep its template's syntax tree alive (at 100,000 steps
// those trees were ~3 KB each, most of what a strategy held).

/** A bounded map from template text to what parsing it gave. */
export class TemplateCache<T> {
  readonly #entries = new Map<string, T>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  #chars = 0;

  /**
   * @param maxEntries how many texts to keep
   * @param maxChars how many characters of text to keep in all (the trees grow with the text);
   *   a longer text is not kept at all
   */
  constructor(maxEntries: number, maxChars: number) {
    this.#maxEntries = maxEntries;
    this.#maxChars = maxChars;
  }

  /** The value for `text`, now the most recently used, or `undefined`. */
  get(text: string): T | undefined {
    const value = this.#entries.get(text);
    if (value !== undefined) {
      this.#entries.delete(text);
      this.#entries.set(text, value);
    }
    return value;
  }

  set(text: string, value: T): void {
    if (text.length > this.#maxChars) return;
    if (this.#entries.delete(text)) this.#chars -= text.length;
    this.#entries.set(text, value);
    this.#chars += text.length;
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries && this.#chars <= this.#maxChars) break;
      this.#entries.delete(oldest);
      this.#chars -= oldest.length;
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
