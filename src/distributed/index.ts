// wavepool/distributed: run a strategy's steps on BullMQ queues in Redis. Loads bullmq and ioredis
// (optional peer dependencies); `wavepool` itself never does.
export { redisBackend, type RedisBackendOptions } from "./redis-backend.js";
export { startStepWorker, type StepWorker, type StepWorkerOptions } from "./step-worker.js";
export type { RedisConnection } from "./connection.js";
export type { Backend } from "../run/attempt-runner.js";
