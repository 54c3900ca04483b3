// The main thread's side of the comlink channels: one per worker thread, all routed by call id
// to the run that is listening (one registration per run, not per step: nothing to do per dispatch).
import type { MessagePort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { Piscina } from "piscina";
import type { ApprovalDecision, ApprovalRequest } from "../agent.js";
import { HOST_PORT_KEY, type HostApi, type LogLevel, type PauseAnswer, type RunConstants, type StrayError } from "./protocol.js";

/** What a run does with the calls of its steps' agents; `slot` is the step's index in the run. */
export interface CallListener {
  log(slot: number, attempt: number, level: LogLevel, message: string, meta?: Record<string, unknown>): void;
  progress(slot: number, attempt: number, value: number, message?: string): void;
  output(slot: number, attempt: number, chunk: unknown): void;
  requestApproval(slot: number, attempt: number, request: ApprovalRequest): Promise<ApprovalDecision | PauseAnswer>;
  /** An error the step's agent left behind after the step ended. */
  stray(slot: number, attempt: number, report: StrayError): void;
  /** What the run's steps share, asked once per thread (see `StepTask`). */
  constants(): RunConstants;
}

const hubs = new WeakMap<Piscina, HostHub>();

/** Routes agent calls from every thread of a pool to the listener of the step that made them. */
export class HostHub {
  readonly #listeners = new Map<number, CallListener>();
  #nextId = 1;
  /**
   * Where stray errors go when no run owns them (a module's timer, a run that has ended). Set by
   * the orchestrator that uses the pool.
   */
  onOrphanStray: ((report: StrayError) => void) | undefined;

  /** The hub of `pool`, created (and attached to its `message` event) on first use. */
  static of(pool: Piscina): HostHub {
    let hub = hubs.get(pool);
    if (hub === undefined) {
      hub = new HostHub();
      const h = hub;
      pool.on("message", (message: unknown) => {
        const port = (message as Record<string, unknown> | null)?.[HOST_PORT_KEY] as MessagePort | undefined;
        if (port !== undefined) h.#expose(port);
      });
      hubs.set(pool, hub);
    }
    return hub;
  }

  /** Registers a listener; returns the call id the worker tags its calls with. */
  listen(listener: CallListener): number {
    const id = this.#nextId++;
    this.#listeners.set(id, listener);
    return id;
  }

  /** The listener of call id `id`: a backend's run hands it the calls its remote attempts made. */
  listenerOf(id: number): CallListener | undefined {
    return this.#listeners.get(id);
  }

  forget(id: number): void {
    this.#listeners.delete(id);
  }

  #expose(port: MessagePort): void {
    const listeners = this.#listeners;
    const api: HostApi = {
      log: ([id, slot, attempt], level, message, meta) => listeners.get(id)?.log(slot, attempt, level, message, meta),
      progress: ([id, slot, attempt], value, message) => listeners.get(id)?.progress(slot, attempt, value, message),
      output: ([id, slot, attempt], chunk) => listeners.get(id)?.output(slot, attempt, chunk),
      requestApproval: ([id, slot, attempt], request) => {
        const listener = listeners.get(id);
        if (listener === undefined) return Promise.reject(new Error("the run asking for approval has ended"));
        return listener.requestApproval(slot, attempt, request);
      },
      stray: (from, report) => {
        const listener = from === undefined ? undefined : listeners.get(from[0]);
        if (listener !== undefined) listener.stray(from![1], from![2], report);
        else this.onOrphanStray?.(report);
      },
      runConstants: (id) => listeners.get(id)?.constants(),
    };
    Comlink.expose(api, nodeEndpoint(port));
    // The channel dies with its worker; it must not keep the main process alive.
    port.unref();
  }
}
