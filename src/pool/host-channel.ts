// The main thread's side of the comlink channels: one per worker thread, all routed by call id
// to the step dispatch that is listening (its logger, progress events, approval handler).
import type { MessagePort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import type { Piscina } from "piscina";
import type { ApprovalDecision, ApprovalRequest } from "../agent.js";
import { HOST_PORT_KEY, type HostApi, type LogLevel, type PauseAnswer } from "./protocol.js";

/** What one in-flight step does with its agent's calls. */
export interface StepListener {
  log(level: LogLevel, message: string, meta?: Record<string, unknown>): void;
  progress(value: number, message?: string): void;
  requestApproval(request: ApprovalRequest): Promise<ApprovalDecision | PauseAnswer>;
}

const hubs = new WeakMap<Piscina, HostHub>();

/** Routes agent calls from every thread of a pool to the listener of the step that made them. */
export class HostHub {
  readonly #listeners = new Map<number, StepListener>();
  #nextId = 1;

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
  listen(listener: StepListener): number {
    const id = this.#nextId++;
    this.#listeners.set(id, listener);
    return id;
  }

  forget(id: number): void {
    this.#listeners.delete(id);
  }

  #expose(port: MessagePort): void {
    const listeners = this.#listeners;
    const api: HostApi = {
      log: (id, level, message, meta) => listeners.get(id)?.log(level, message, meta),
      progress: (id, value, message) => listeners.get(id)?.progress(value, message),
      requestApproval: (id, request) => {
        const listener = listeners.get(id);
        if (listener === undefined) return Promise.reject(new Error("the step asking for approval is no longer running"));
        return listener.requestApproval(request);
      },
    };
    Comlink.expose(api, nodeEndpoint(port));
    // The channel dies with its worker; it must not keep the main process alive.
    port.unref();
  }
}
