/** The training loop's input and output (loop.ts): a prepared run, its callbacks and controls, how it ended. */
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import type { CheckpointState, RunStatusRecord } from '../checkpoint';
import type { MetricRecord, TrainCallbacks, TrainControl } from '../types';
import type { AdamW } from './adamw';
import type { RunCompute } from './flops';
import type { MemoryPlan } from './memory';
import type { Objective } from './objective';
import type { SpawnReplica } from './parallel/messages';
import type { TrainPlan } from './plan';
import type { StopReason } from './summary';

/** What the loop needs of a prepared run (prepareRun's PreparedRun for MLM). */
export interface LoopRun<B> {
  runDir: string;
  config: ResolvedRunConfig;
  status: RunStatusRecord;
  optimizer: AdamW;
  objective: Objective<B>;
  plan: TrainPlan;
  compute: RunCompute;
  state: CheckpointState;
  resumed?: { step: number; bestEval?: MetricRecord };
  /** The memory plan (train/memory.ts): replicas at most, passes per micro-batch to start from. */
  memory?: MemoryPlan;
}

export interface LoopIo {
  callbacks: TrainCallbacks;
  control?: TrainControl;
  spawnReplica?: SpawnReplica;
  /** When the run started (Date.now()): metric times count from it, continuing a resumed run's. */
  t0: number;
}

export interface LoopOutcome {
  stoppedBy: StopReason;
  error?: string;
  bestEval?: MetricRecord;
  lastTrain?: MetricRecord;
  lastCheckpoint?: string;
  bestCheckpoint?: string;
}
