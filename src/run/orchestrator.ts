// ParallelOrchestrator: owns a pool and a registry of agents, checks a strategy before anything
// runs (preflight), and starts runs. Several runs may be in flight on one orchestrator.
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Piscina } from "piscina";
import { errorInfo, OrchestratorClosedError } from "../errors.js";
import { bottomLevels } from "../graph/critical-path.js";
import { checkInputs } from "../graph/dependency-graph.js";
import { AgentRegistry, type AgentRef } from "../pool/agent-registry.js";
import { HostHub, type CallListener } from "../pool/host-channel.js";
import type { Shareable } from "../pool/shareable.js";
import { STACKED_PER_THREAD } from "../pool/pool-balancer.js";
import { growPool, onUsable, usableThreads } from "../pool/warm-up.js";
import { createPool, destroyPool, guardPool } from "../pool/worker-pool.js";
import { priorityRule, rankOrder } from "../schedule/priority.js";
import { simulate, type SimulateOptions, type Simulation } from "../schedule/simulate.js";
import type { StrategyMap, StrategyPlan } from "../strategy/strategy-map.js";
import type { ApprovalDecision } from "../agent.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { AgentSpec } from "../pool/protocol.js";
import type { AttemptRunner } from "./attempt-runner.js";
import { keptState, redesignProblem } from "./redesign.js";
import { ParallelOrchestratorConfig, type ParallelOrchestratorOptions } from "./config.js";
import { defaultLogger } from "./logger.js";
import { executeArgs } from "./execute-args.js";
import type { ParallelOrchestrationResult, Redesign } from "./result.js";
import { Run, type ExecuteOptions } from "./run.js";
import { strayMessage, type RunListener } from "./run-reporter.js";
import { strategyFingerprint, type SavedRunState } from "./state-file.js";
import { StateJournal } from "./state-journal.js";

/** Weight of the newest measurement in the learned cost of a step (exponential moving average). */
const LEARNING_RATE = 0.3;

/**
 * Runs a `StrategyMap` on a pool of worker threads.
 * @example
 * const orchestrator = ParallelOrchestrator.withConfig(strategy, new ParallelOrchestratorConfig().withStepTimeout(30_000));
 * orchestrator.addAgent("ResearchAgent", new URL("./agents/research.js", import.meta.url));
 * const result = await orchestrator.execute("Write about Rust");
 * await orchestrator.close();
 */
export class ParallelOrchestrator {
  readonly strategy: StrategyMap;
  readonly config: ParallelOrchestratorConfig;
  readonly #registry = new AgentRegistry();
  readonly #learned = new Map<string, number>();
  #pool: Piscina | undefined;
  #closed = false;
  readonly #runs = new Set<Run>();
  /** The saved ids of resumed runs being launched (see `execute`). */
  readonly #resumed = new Set<string>();
  /** The backend's runner of each run in flight, when a backend executes them. */
  readonly #runners = new Map<Run, AttemptRunner>();
  readonly #closing = new AbortController();

  constructor(strategy: StrategyMap, options: ParallelOrchestratorOptions | ParallelOrchestratorConfig = {}) {
    this.strategy = strategy;
    this.config = ParallelOrchestratorConfig.from(options);
  }

  /** The seed's constructor: `ParallelOrchestrator.withConfig(strategy, config)`. */
  static withConfig(strategy: StrategyMap, config: ParallelOrchestratorConfig): ParallelOrchestrator {
    return new ParallelOrchestrator(strategy, config);
  }

  /**
   * Registers the module of an agent: an absolute path, a `file:` URL, or `{ module, export?, options? }`.
   * `options` must be plain shareable data: a function or class instance there is a type error, and
   * `AgentNotShareableError` at run time.
   */
  addAgent<Options extends Shareable>(name: string, ref: AgentRef<Options>): this {
    this.#registry.register(name, ref);
    return this;
  }

  /** Worker threads alive in the pool now (0 before the first run and after `close()`). */
  get poolThreads(): number {
    return this.#pool?.threads.length ?? 0;
  }

  /** The measured cost (ms, moving average) of each step that completed on this orchestrator. */
  get learnedCosts(): ReadonlyMap<string, number> {
    return this.#learned;
  }

  /** `strategy.plan()` with the costs this orchestrator measured for steps without a `cost` option. */
  plan(): StrategyPlan {
    return this.strategy.plan(this.#costs());
  }

  /**
   * `simulate()` with the costs a live run would use: each step's `cost` option, else its measured
   * duration on this orchestrator, else 1. `threads` defaults to the pool size.
   */
  simulate(options: Partial<SimulateOptions> = {}): Simulation {
    const threads = options.threads ?? this.config.threads ?? this.#pool?.options.maxThreads ?? availableParallelism();
    const given = options.costs instanceof Map ? Object.fromEntries(options.costs) : options.costs;
    return simulate(this.strategy, { scheduling: this.config.scheduling, ...options, threads, costs: { ...this.#costs(), ...given } });
  }

  #costs(): Record<string, number> {
    const costs: Record<string, number> = {};
    for (const step of this.strategy.steps) {
      const cost = this.#cost(step.stepId);
      if (cost !== undefined) costs[step.stepId] = cost;
    }
    return costs;
  }

  /**
   * Runs the strategy. Resolves with the result whatever the steps do; rejects only for misuse:
   * an invalid graph (`CycleError`, `UnknownAgentError`, `UnknownInputError`), an agent that does not
   * load (`AgentLoadError`), or a closed orchestrator.
   */
  async execute(task: string, options: ExecuteOptions = {}): Promise<ParallelOrchestrationResult> {
    if (this.#closed) throw new OrchestratorClosedError("execute() was called after close(); create a new ParallelOrchestrator");
    const args = await executeArgs(this.strategy, task, options);
    const { inputs, approvals, durable } = args;
    let restored = args.restored;
    // A redesign (`onStepFailed`) goes on as another run of the new strategy, from what the last kept.
    let strategy = this.strategy;
    const redesigns: Redesign[] = [];
    let executed = 0;
    let startedAt: number | undefined;
    // A resumed run goes on under its saved id (a distributed run finds its queued and running jobs
    // by it), unless a run of this orchestrator has that id now: the same state resumed twice at once.
    const saved = restored?.runId;
    let runId = saved !== undefined && !this.#resumed.has(saved) && ![...this.#runs].some((r) => r.runId === saved) ? saved : undefined;
    // Held until the run started (a second resume in the same tick sees it); its run is in #runs then.
    if (runId !== undefined) this.#resumed.add(runId);
    let last: ParallelOrchestrationResult | undefined;
    // One tracer listener for the whole call (its module loaded only when a tracer is configured):
    // a redesign's run continues the same trace.
    const listeners = this.config.tracer ? [(await import("./tracing.js")).tracingListener(this.config.tracer)] : [];
    for (;;) {
      let run: Run;
      try {
        run = await this.#launch(strategy, task, inputs, options, { restored, approvals, durable, runId, listeners });
      } catch (error) {
        if (runId !== undefined) this.#resumed.delete(runId);
        // The orchestrator closed, or an agent of the new strategy did not load: the work done so far stands.
        if (last === undefined) throw error;
        (this.config.logger ?? defaultLogger()).error(`the run could not go on with the strategy onStepFailed gave: ${(error as Error)?.message ?? String(error)}`, { runId });
        return Object.assign(last, { redesigns, stepsExecuted: executed, startedAt, durationMs: last.endedAt - startedAt! });
      }
      this.#resumed.delete(run.runId);
      const result = await run.ended;
      // What the run left with its backend (stored outputs) goes before `execute` resolves.
      await this.#runners.get(run)?.close();
      this.#runners.delete(run);
      last = result;
      startedAt ??= result.startedAt;
      runId = result.runId;
      executed += result.stepsExecuted;
      const next = run.redesign;
      if (next === undefined) {
        return Object.assign(result, { redesigns, stepsExecuted: executed, startedAt, durationMs: result.endedAt - startedAt });
      }
      const kept = keptState(result, strategy, next.strategy);
      redesigns.push({
        stepId: next.stepId, error: next.error, at: next.at, goal: next.strategy.goal, kept: kept.kept,
        planned: next.strategy.steps.map((s) => s.stepId).filter((id) => !kept.kept.includes(id)),
      });
      strategy = next.strategy;
      restored = { ...kept.state, runId: result.runId, task, inputs, fingerprint: "", approvals: {}, savedAt: Date.now() };
    }
  }

  /** Checks `strategy` against this orchestrator's agents and `inputs`, preflights its agents, and starts a run of it. */
  async #launch(
    strategy: StrategyMap, task: string, inputs: Record<string, unknown>, options: ExecuteOptions,
    from: { restored: SavedRunState | undefined; approvals: Record<string, ApprovalDecision>; durable: boolean; runId: string | undefined; listeners: RunListener[] },
  ): Promise<Run> {
    const graph = strategy.graph();
    const agents = this.#registry.specsFor(graph);
    const fingerprint = from.durable ? strategyFingerprint(strategy.toJSON()) : "";
    checkInputs(graph, new Set(["task", ...Object.keys(inputs)]));
    const journal = options.saveStateTo !== undefined ? new StateJournal(options.saveStateTo, { syncEveryMs: this.config.stateSyncMs }) : undefined;
    const runId = from.runId ?? randomUUID();
    const executor = await this.#executor(strategy, graph, agents, runId, options);
    if (this.#closed) {
      await executor.runner?.close();
      throw new OrchestratorClosedError("the orchestrator was closed while the run was starting");
    }
    const { pool, runner, hub } = executor;
    const run = new Run({
      task, inputs, graph, agents, pool, config: this.config,
      logger: this.config.logger ?? defaultLogger(),
      ...(runner !== undefined
        // A backend's run: no thread of ours, and a hub that only routes the run's lanes (./lanes.ts).
        ? { runner, hub: hub!, defaultLimit: this.config.backend!.concurrency }
        : { hub: HostHub.of(pool!), defaultLimit: pool!.options.maxThreads }),
      ...(pool !== undefined && this.config.pool === undefined
        ? { ownPool: { usableThreads: () => usableThreads(pool) ?? pool.options.maxThreads, stackedPerThread: STACKED_PER_THREAD } }
        : {}),
      learnedMs: (stepId) => this.#learned.get(stepId),
      cost: (stepId) => strategy.getStep(stepId)?.cost ?? this.#learned.get(stepId),
      learn: (stepId, ms) => {
        const old = this.#learned.get(stepId);
        this.#learned.set(stepId, old === undefined ? ms : old + LEARNING_RATE * (ms - old));
      },
      approvals: from.approvals, fingerprint, listeners: from.listeners,
      checkRedesign: (next) => redesignProblem(next, (g) => this.#registry.specsFor(g), inputs),
      runId,
      ...(from.restored ? { restored: from.restored } : {}),
      ...(journal ? { journal } : {}),
    }, options);
    // The state file is started before any step runs, so an unwritable path is a misuse error now,
    // not a lost state later.
    if (journal !== undefined) await run.persist();
    // close() during the awaits since preflight saw no run to cancel: this one must not start.
    if (this.#closed) {
      await run.abandon();
      await runner?.close();
      throw new OrchestratorClosedError("the orchestrator was closed while the run was starting");
    }
    this.#runs.add(run);
    if (runner !== undefined) this.#runners.set(run, runner);
    const ended = run.start();
    void ended.finally(() => this.#runs.delete(run));
    // The run's first steps are on their way on the pool's first thread: now the pool grows.
    if (pool !== undefined && this.config.pool === undefined) growPool(pool);
    return run;
  }

  /**
   * What runs the attempts of a run: the orchestrator's pool, its agents preflighted (loaded on a
   * thread), or the configured backend's runner for the run (which checks what it can before
   * anything runs: `BackendUnavailableError`, `AgentLoadError`).
   */
  async #executor(
    strategy: StrategyMap, graph: DependencyGraph, agents: AgentSpec[], runId: string, options: ExecuteOptions,
  ): Promise<{ pool: Piscina; runner?: undefined; hub?: undefined } | { pool: undefined; runner: AttemptRunner; hub: HostHub }> {
    const backend = this.config.backend;
    if (backend !== undefined) {
      if (this.#closed) throw new OrchestratorClosedError("the orchestrator was closed while the run was starting");
      const bl = bottomLevels(graph, (i) => this.#cost(graph.steps[i]!.stepId, strategy) ?? 1);
      const rank = rankOrder(priorityRule(this.config.scheduling, { bottomLevel: bl, level: graph.level }), graph.steps.length);
      const { agentLoadTimeoutMs: loadTimeoutMs, cancelGraceMs } = this.config;
      // The calls a remote attempt's agent made come back to the run's lanes (./lanes.ts) on this hub.
      const hub = new HostHub();
      const calls = (callId: number): CallListener | undefined => hub.listenerOf(callId);
      return { pool: undefined, hub, runner: await backend.open({ runId, graph, agents, rank, loadTimeoutMs, cancelGraceMs, calls }) };
    }
    const pool = this.#ensurePool();
    // Preflight stops at once when the orchestrator closes; the run's own signal only stops waiting
    // for it (the run then starts cancelled and resolves as such).
    const starting = options.signal ? AbortSignal.any([this.#closing.signal, options.signal]) : this.#closing.signal;
    try {
      await this.#registry.preflight(pool, graph.steps.map((s) => s.assignedAgent), { loadTimeoutMs: this.config.agentLoadTimeoutMs, signal: starting });
    } catch (error) {
      if (this.#closed) throw new OrchestratorClosedError("the orchestrator was closed while the run was starting", { cause: error });
      if (!options.signal?.aborted) throw error;
    }
    return { pool };
  }

  /**
   * Cancels the runs in flight, then destroys the orchestrator's own pool (a pool given with
   * `withPool` stays open). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new OrchestratorClosedError("the orchestrator was closed"));
    // Runs still in flight end as cancelled (their finished outputs kept, their agents given the
    // cancel grace), not as crashed steps; then the threads go.
    const runs = [...this.#runs];
    for (const run of runs) run.cancel("the orchestrator was closed");
    await Promise.all(runs.map((run) => run.ended));
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined && this.config.pool === undefined) await destroyPool(pool);
    await this.config.backend?.close();
  }

  #cost(stepId: string, strategy: StrategyMap = this.strategy): number | undefined {
    return strategy.getStep(stepId)?.cost ?? this.#learned.get(stepId);
  }

  #ensurePool(): Piscina {
    if (this.#pool !== undefined) return this.#pool;
    // close() came while execute() was still checking its options: a new pool would outlive it.
    if (this.#closed) throw new OrchestratorClosedError("the orchestrator was closed while the run was starting");
    const pool = this.config.pool ?? createPool({
      ...(this.config.threads !== undefined ? { threads: this.config.threads } : {}),
      ...(this.config.resourceLimits !== undefined ? { resourceLimits: this.config.resourceLimits } : {}),
    });
    const logger = this.config.logger ?? defaultLogger();
    guardPool(pool, (message, error) => logger.warn(message, { error: errorInfo(error) }));
    HostHub.of(pool).onOrphanStray = (report) => logger.warn(strayMessage(report), { error: report.error });
    // A thread that became usable takes what the runs have ready.
    onUsable(pool, () => {
      for (const run of this.#runs) run.poke();
    });
    return (this.#pool = pool);
  }
}
