/**
 * Masked-LM pretraining as an Objective (train/objective.ts): dynamically masked batches from the seeded
 * TrainStream, cross-entropy at the masked positions, held-out evaluation on fixed masks (EVAL_MASK_SEED),
 * data-parallel replicas (train/parallel), and the model's Hugging Face config.json in every checkpoint.
 */
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { CHECKPOINT_MODEL_CONFIG } from '../checkpoint';
import type { CheckpointState } from '../checkpoint/state';
import type { Example } from '../data/examples';
import { maskingRates } from '../data/masking';
import { TrainStream, evalBatches, evalMasking, type DataPosition } from '../data/stream';
import { evaluateBatches } from '../evaluate';
import { toHfConfig } from '../model';
import type { MlmBatch, MlmModel, SpecialTokenIds } from '../types';
import type { Objective, ReplicaContext, ReplicaGroup } from './objective';
import { replicaGroup, startDataParallel } from './parallel';
import { mlmLoss } from './step';

export class MlmObjective implements Objective<MlmBatch> {
  readonly variables: MlmModel['variables'];
  readonly batchLoss: Objective<MlmBatch>['batchLoss'];
  readonly batchTargets = (b: MlmBatch): number => b.labels.length;
  readonly splitPasses: Objective<MlmBatch>['splitPasses'];
  /** The fixed held-out batches (empty without a validation split). */
  readonly evalSet: MlmBatch[];
  private readonly stream: TrainStream;

  constructor(
    readonly model: MlmModel,
    private readonly config: ResolvedRunConfig,
    data: { train: readonly Example[]; validation: readonly Example[] },
    vocab: { vocabSize: number; special: SpecialTokenIds },
    /** Where the training stream continues (a restored checkpoint's position; 0/0 for a new run). */
    position: DataPosition,
  ) {
    const t = config.training;
    const masking = config.data.masking;
    this.variables = model.variables;
    const loss = mlmLoss(model);
    this.batchLoss = loss.batchLoss;
    this.splitPasses = loss.splitPasses;
    this.evalSet = evalBatches(data.validation, t.batchSize, evalMasking(masking), vocab, t.evalBatches);
    this.stream = new TrainStream(data.train, t.batchSize, t.seed, masking, vocab, position);
  }

  get batchesPerEpoch(): number {
    return this.stream.batchesPerEpoch;
  }
  get position(): DataPosition {
    return { ...this.stream.pos };
  }
  get epochs(): number {
    return this.stream.epochs;
  }

  next() {
    return this.stream.next();
  }

  get hasHeldOut(): boolean {
    return this.evalSet.length > 0;
  }

  async evaluate() {
    const r = await evaluateBatches(this.model, this.evalSet);
    return { loss: r.loss, accuracy: r.accuracy, perplexity: r.perplexity };
  }

  trainColumns(state: CheckpointState) {
    const { targetRate, maskRate, randomRate, keepRate } = maskingRates(state.maskCounts);
    return { targetRate, maskRate, randomRate, keepRate };
  }

  checkpointFiles(): Map<string, string> {
    return new Map([
      [CHECKPOINT_MODEL_CONFIG, `${JSON.stringify(toHfConfig(this.model.config), null, 2)}\n`],
    ]);
  }

  async startReplicas(ctx: ReplicaContext): Promise<ReplicaGroup<MlmBatch> | null> {
    const pool = await startDataParallel(this.model, this.config.training, ctx);
    return pool && replicaGroup(pool, this.model);
  }
}
