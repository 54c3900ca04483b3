// The ready set as a binary heap ordered by the priority rule: O(log n) push and pop, so a run of
// 100,000 steps never scans the whole ready set.
import type { Before } from "./priority.js";

export class ReadyQueue {
  readonly #heap: number[] = [];
  readonly #before: Before;

  constructor(before: Before) {
    this.#before = before;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** The step that would be popped next, without removing it. */
  peek(): number | undefined {
    return this.#heap[0];
  }

  push(step: number): void {
    const heap = this.#heap;
    let i = heap.push(step) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(step, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = step;
  }

  pop(): number | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && this.#before(heap[r]!, heap[l]!) ? r : l;
      if (!this.#before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Removes and returns every queued step (used when a run is cancelled). */
  drain(): number[] {
    return this.#heap.splice(0);
  }
}
