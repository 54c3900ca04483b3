// The --help text of each command.

export const MAIN_HELP = `Usage: wavepool <command> [options]

Run a workflow of agent steps (a DAG) on a pool of worker threads.

Commands:
  run <strategy>     run the workflow in a strategy file (.yaml, .yml or .json)
  plan <strategy>    show the waves, the critical path and the simulated makespan
  graph <strategy>   print the dependency graph as Mermaid or Graphviz DOT
  worker             run steps of distributed runs (BullMQ on Redis)

Options:
  -h, --help         show help (also: wavepool <command> --help)
  -v, --version      print the version

Exit codes: 0 success, 1 a step failed or the state file could not be written,
2 bad usage or invalid strategy, 3 paused for approval, 130 cancelled (Ctrl-C).
`;

export const RUN_HELP = `Usage: wavepool run <strategy.yaml|json> [options]

Runs every step of the strategy. On a terminal a live display shows each step;
otherwise one line per event goes to stderr (progress: a line each time a step
reaches another quarter of the way, and its last report). The outputs of the
final steps (those nothing depends on) go to stdout.

Options:
  --task TEXT            the task, {{ task }} in templates (default: the goal;
                         on --resume, the saved run's task)
  --input key=value      a template variable; the value is parsed as JSON when
                         it is JSON (n=3, tags=["a","b"]), else kept as text.
                         Repeatable.
  --concurrency N        at most N steps at once, on N threads
                         (default: the number of CPUs)
  --timeout DURATION     time limit of each step: 500ms, 30s, 2m, or ms, at
                         most 2147483647ms (about 24.8 days; default: none;
                         a step's timeoutMs wins)
  --scheduling MODE      eager (critical path first, default) or waves
  --state FILE           save the run's state to FILE after every step
  --resume FILE          resume the run saved in FILE: completed steps are not
                         run again (keeps saving to FILE unless --state says)
  --approve STEP[=NOTE]  with --resume: approve the paused STEP. Repeatable.
  --reject STEP[=NOTE]   with --resume: reject the paused STEP. Repeatable.
  --timeline FILE.svg    write a Gantt chart of the run (a row per thread)
  --trace FILE.json      write a Chrome trace of the run (open it in Perfetto)
  --json                 print only the result, as JSON, on stdout
  -q, --quiet            no progress: neither the live display nor a line per
                         event, no table of steps, no "written to" lines. Log
                         entries (--log-level), errors, the summary and the
                         outputs still print.
  --log-level LEVEL      error, warn (default), info, http, verbose, debug, silly
  --redis URL            run the steps on \`wavepool worker\` processes through
                         the Redis server at URL (default: $WAVEPOOL_REDIS_URL;
                         neither: local threads)
  --queue NAME           with --redis: the queue the workers take (default:
                         wavepool)
  -h, --help             show this help

Ctrl-C cancels the run (running steps are stopped, the state file is kept);
a second Ctrl-C exits at once.

Approvals: on a terminal (stdin and stderr), a run that pauses for approval
asks there, "Approve STEP? [y/N]" then an optional note (the reason, for a
rejection), and goes on with the answers, with or without --state. Ctrl-C or
Ctrl-D at the question leaves the run paused (exit 3). Without a terminal, or
with --json, it exits 3 and prints how to answer with --resume and --approve.

Exit codes: 0 success, 1 a step failed or the state file could not be written
(one line on stderr says it is stale; 3 and 130 win over it), 2 bad usage or
invalid strategy, 3 paused for approval, 130 cancelled.

Strategy file:
  goal: Write an article
  agents:
    ResearchAgent: ./agents/research.js        # relative to this file
    WriterAgent: { module: ./agents/writer.js, options: { words: 800 } }
  steps:
    - { id: research, description: Research, agent: ResearchAgent,
        intent: "Research {{ task }}", output: notes }
    - { id: write, agent: WriterAgent,             # description is optional
        intent: "Write from {{ notes }}", output: article, timeoutMs: 60000 }
`;

export const PLAN_HELP = `Usage: wavepool plan <strategy.yaml|json> [--threads N]

Shows what a run would do without running anything: the waves (dependency
levels), the critical path and its cost, and the makespan that eager and wave
scheduling reach on N simulated threads against the lower bound
max(critical path, total work / N). A step's cost is its cost option, else 1.

Options:
  -t, --threads N   threads to simulate (default: the number of CPUs)
  -h, --help        show this help
`;

export const GRAPH_HELP = `Usage: wavepool graph <strategy.yaml|json> [--format mermaid|dot]

Prints the dependency graph: a node per step (its id and agent), grouped by
wave, and an edge from each step to every step that reads its output.

Options:
  -f, --format FORMAT   mermaid (default) or dot (Graphviz: dot -Tsvg)
  -h, --help            show this help
`;

export const WORKER_HELP = `Usage: wavepool worker --redis URL [options]

Takes the steps of distributed runs (\`wavepool run --redis URL\`, or
redisBackend() in code) from a BullMQ queue and runs them on this machine's
worker threads. Start as many as you like, on any machine that reaches Redis
and has the same agent modules (a module whose content differs from the
coordinator's is refused).

Options:
  --redis URL            the Redis server (default: $WAVEPOOL_REDIS_URL)
  --queue NAME           the queue to take steps from (default: wavepool)
  --threads N            worker threads (default: the number of CPUs)
  --concurrency N        steps taken at once (default: --threads)
  --allow DIR            import agent modules only from under DIR (default:
                         the working directory). Repeatable.
  --lock DURATION        how long a step's lock lasts unrenewed: a killed
                         worker's step runs again elsewhere after about this
                         (default: 30s)
  --stalled-interval DURATION
                         how often to look for steps whose worker died
                         (default: 30s)
  --grace DURATION       on SIGTERM, how long running steps may take to finish
                         before they are handed back to run on another
                         worker (default: 10s)
  -h, --help             show this help

SIGTERM or Ctrl-C: stop taking steps, let the running ones finish within
--grace, hand back those that did not (each runs again at once on another
worker), exit 0. A second SIGTERM or Ctrl-C ends the grace at once: every
running step is stopped and handed back now (not left to wait for its lock),
then the worker exits 0. A third kills it.
`;
