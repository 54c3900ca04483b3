// What Piscina loads in each worker thread. Piscina require()s a worker file before it tries
// import(), and on Node >= 20.19 require() of an ES module links its whole graph synchronously: a
// thread terminated while V8 links it aborts the host process ("FATAL ERROR:
// v8::Module::IsGraphAsync must be used on an instantiated module"). A run terminates threads
// (timeouts, cancel, close) whenever it must, also while a fresh thread starts. So this entry is
// CommonJS, and it imports the ES module worker (./step.js) asynchronously, where a termination is
// an ordinary one. After the first task, tasks go straight to the worker's handler.
type Handler = typeof import("./step.js").default;
type Task = Parameters<Handler>[0];

let handler: Handler | undefined;
let loading: Promise<Handler> | undefined;

function load(): Promise<Handler> {
  return (loading ??= import("./step.js").then((module) => (handler = module.default)));
}

export = function run(task: Task): ReturnType<Handler> {
  return handler !== undefined ? handler(task) : load().then((h) => h(task));
};
