/** The model hyper-parameters a run config asks for (preset + overrides + dropout) for a vocabulary size. */
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { bertPreset, bigruConfig } from '../model';
import type { ModelConfig } from '../types';

export function modelConfigFor(config: ResolvedRunConfig, vocabSize: number): ModelConfig {
  const o = config.model.overrides;
  const maxPositions = o.maxPositionEmbeddings ?? Math.max(512, config.data.seqLen);
  if (config.model.arch === 'bigru') {
    return bigruConfig(vocabSize, {
      embeddingDim: o.embeddingDim,
      gruUnits: o.gruUnits,
      maxPositionEmbeddings: maxPositions,
      dropout: config.model.dropout,
    });
  }
  const c = bertPreset(config.model.preset, vocabSize, maxPositions);
  return {
    ...c,
    hiddenSize: o.hiddenSize ?? c.hiddenSize,
    numHiddenLayers: o.numHiddenLayers ?? c.numHiddenLayers,
    numAttentionHeads: o.numAttentionHeads ?? c.numAttentionHeads,
    intermediateSize: o.intermediateSize ?? c.intermediateSize,
    hiddenDropoutProb: config.model.dropout,
    attentionProbsDropoutProb: config.model.dropout,
  };
}
