// The worker's end of the comlink channel to the main thread, opened on first use in this thread:
// the worker makes a MessageChannel and hands one port over through Piscina's `message` event.
import { MessageChannel, parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { HOST_PORT_KEY, type HostApi } from "../src/pool/protocol.js";

let host: Comlink.Remote<HostApi> | undefined;

/** The main thread's host API, as a comlink proxy. */
export function hostApi(): Comlink.Remote<HostApi> {
  if (host === undefined) {
    const { port1, port2 } = new MessageChannel();
    parentPort!.postMessage({ [HOST_PORT_KEY]: port2 }, [port2]);
    host = Comlink.wrap<HostApi>(nodeEndpoint(port1));
    // Idle workers block in Atomics.wait; the port must not keep a finished thread alive either.
    port1.unref();
  }
  return host;
}
