/**
 * The masked-LM model families of the Hugging Face ecosystem, by config.json's model_type: which this product
 * loads (for fill-mask, continued pretraining, fine-tuning and export) and, for the others, why not.
 * One table, read by the importer's error messages and by `mlm models` / the VS Code model picker.
 */

export interface FamilyInfo {
  /** config.json's model_type. */
  modelType: string;
  /** How a person names the family. */
  name: string;
  /** Loaded by this product. */
  supported: boolean;
  /** For unsupported families: what is missing. */
  why?: string;
}

const FAMILIES: FamilyInfo[] = [
  { modelType: 'bert', name: 'BERT', supported: true },
  { modelType: 'distilbert', name: 'DistilBERT', supported: true },
  { modelType: 'roberta', name: 'RoBERTa', supported: true },
  { modelType: 'xlm-roberta', name: 'XLM-RoBERTa', supported: true },
  { modelType: 'camembert', name: 'CamemBERT', supported: false, why: 'CamemBERT is not supported yet' },
  { modelType: 'albert', name: 'ALBERT', supported: false, why: 'ALBERT (shared layers) is not supported' },
  { modelType: 'electra', name: 'ELECTRA', supported: false, why: 'ELECTRA is not supported' },
  {
    modelType: 'deberta',
    name: 'DeBERTa',
    supported: false,
    why: 'DeBERTa (relative attention) is not supported',
  },
  {
    modelType: 'deberta-v2',
    name: 'DeBERTa-v2',
    supported: false,
    why: 'DeBERTa (relative attention) is not supported',
  },
  { modelType: 'mpnet', name: 'MPNet', supported: false, why: 'MPNet is not supported' },
  {
    modelType: 'modernbert',
    name: 'ModernBERT',
    supported: false,
    why: 'ModernBERT (rotary, GeGLU) is not supported',
  },
];

/** Architectures that carry an MLM head (the rest are task fine-tunes or decoders). */
const MLM_ARCHITECTURE = /(ForMaskedLM|ForPreTraining|Model)$/;

export interface ConfigFamily {
  modelType: string;
  family?: FamilyInfo;
  /** A masked language model (a known encoder family, or an architecture with an MLM head). */
  maskedLm: boolean;
  /** This product can use it; else `why` says why not. */
  usable: boolean;
  why?: string;
}

/** Classifies a config.json (parsed) by family; model_type absent means BERT, as transformers' old configs. */
export function familyOfConfig(config: Record<string, unknown>): ConfigFamily {
  const modelType = typeof config.model_type === 'string' ? config.model_type : 'bert';
  const family = FAMILIES.find((f) => f.modelType === modelType);
  const archs = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  const maskedLm = family !== undefined || archs.some((a) => /ForMaskedLM$/.test(a));
  if (!family) {
    return { modelType, maskedLm, usable: false, why: `model_type "${modelType}" is not a supported family` };
  }
  if (!family.supported) return { modelType, family, maskedLm, usable: false, why: family.why };
  if (archs.length && !archs.some((a) => MLM_ARCHITECTURE.test(a))) {
    return {
      modelType,
      family,
      maskedLm,
      usable: false,
      why: `${archs.join(', ')} is a task fine-tune without an MLM head`,
    };
  }
  return { modelType, family, maskedLm, usable: true };
}

export function supportedFamilies(): FamilyInfo[] {
  return FAMILIES.filter((f) => f.supported);
}
