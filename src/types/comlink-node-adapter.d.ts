// comlink ships its Node adapter as an .mjs file without a matching .d.mts; this declares it,
// typed for what we pass (a node:worker_threads MessagePort).
declare module "comlink/dist/esm/node-adapter.mjs" {
  import type { Endpoint } from "comlink";
  import type { MessagePort } from "node:worker_threads";
  export default function nodeEndpoint(nep: MessagePort): Endpoint;
}
