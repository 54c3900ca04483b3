// The task queue of the orchestrator's own pool: first in, first out, except that a thread's
// warm-up (./warm-up.ts) goes before everything, so that the new thread it is meant for takes it
// as soon as it is ready, ahead of the steps that wait.
import type { TaskQueue } from "piscina";

type Task = Parameters<TaskQueue["push"]>[0];

/** A first-in-first-out list with O(1) shift and unshift. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Drop the consumed prefix now and then, so a long run does not keep every task it queued.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  remove(item: T): void {
    const k = this.#items.indexOf(item, this.#head);
    if (k >= 0) this.#items.splice(k, 1);
  }
}

export class WarmUpFirstQueue implements TaskQueue {
  readonly #first = new Fifo<Task>();
  readonly #rest = new Fifo<Task>();
  readonly #isWarmUp: (task: Task) => boolean;

  /** `isWarmUp` tells a warm-up task from the others (by its queue options). */
  constructor(isWarmUp: (task: Task) => boolean) {
    this.#isWarmUp = isWarmUp;
  }

  get size(): number {
    return this.#first.size + this.#rest.size;
  }

  push(task: Task): void {
    (this.#isWarmUp(task) ? this.#first : this.#rest).push(task);
  }

  /** A task Piscina could not place goes back to the front of its list (the pool is `stricterFIFO`). */
  unshift(task: Task): void {
    (this.#isWarmUp(task) ? this.#first : this.#rest).unshift(task);
  }

  shift(): Task | null {
    return this.#first.shift() ?? this.#rest.shift() ?? null;
  }

  remove(task: Task): void {
    (this.#isWarmUp(task) ? this.#first : this.#rest).remove(task);
  }
}
