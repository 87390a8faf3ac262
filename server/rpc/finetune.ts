/** Handlers of mlm/predict and mlm/loadTaskModel (thin: validate, call the task model, map errors and progress). */
import type { Connection } from 'vscode-languageserver';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import {
  LoadTaskModelRequest,
  MAX_PREDICT_TEXTS,
  PredictRequest,
  type PredictInput,
} from '../../protocol/finetune';
import type { AppState } from '../app/appState';
import type { PredictFileProgress } from '../app/taskModel';
import { cancellable, guarded } from './guarded';
import { workDoneReporter } from './workDone';

const bad = (msg: string): never => {
  throw new MlmError(MlmErrorCodes.InvalidParams, msg);
};

/** The largest text one input may be (the model reads at most its max length of tokens anyway). */
export const MAX_PREDICT_TEXT = 100_000;

export type CheckedPredict =
  | { kind: 'texts'; texts: Array<{ text: string; textPair?: string }>; model?: string }
  | { kind: 'file'; file: string; model?: string; token?: string | number };

function checkInput(x: PredictInput, i: number): { text: string; textPair?: string } {
  const o = typeof x === 'string' ? { text: x } : x;
  if (typeof o !== 'object' || o === null || typeof o.text !== 'string' || !o.text.trim())
    bad(`texts[${i}] must be a non-empty string or { text, textPair? }`);
  if (o.textPair !== undefined && typeof o.textPair !== 'string')
    bad(`texts[${i}].textPair must be a string`);
  if (o.text.length + (o.textPair?.length ?? 0) > MAX_PREDICT_TEXT)
    bad(`texts[${i}] is longer than ${MAX_PREDICT_TEXT} characters: predict a file instead`);
  return o.textPair === undefined ? { text: o.text } : { text: o.text, textPair: o.textPair };
}

/** Validates mlm/predict params; throws InvalidParams naming the bad field. */
export function checkPredictParams(p: unknown): CheckedPredict {
  if (typeof p !== 'object' || p === null) bad('mlm/predict needs params { texts } or { file }');
  const { texts, file, model, workDoneToken } = p as PredictRequest.Params;
  if ((texts === undefined) === (file === undefined))
    bad('mlm/predict needs exactly one of "texts" (an array) or "file" (a path)');
  if (model !== undefined && (typeof model !== 'string' || !model))
    bad('model must be a path (a fine-tune run, checkpoint or Hugging Face task folder)');
  if (file !== undefined) {
    if (typeof file !== 'string' || !file) bad('file must be a non-empty path');
    return { kind: 'file', file, model, token: workDoneToken };
  }
  if (!Array.isArray(texts) || !texts.length || texts.length > MAX_PREDICT_TEXTS)
    bad(`texts must be an array of 1 to ${MAX_PREDICT_TEXTS} inputs; predict a file for more`);
  return { kind: 'texts', texts: (texts as PredictInput[]).map(checkInput), model };
}

export function registerFinetune(connection: Connection, app: AppState): void {
  connection.onRequest(
    LoadTaskModelRequest.type,
    guarded((params) => {
      if (typeof params?.path !== 'string' || !params.path)
        bad('mlm/loadTaskModel needs { path } (a fine-tune run, checkpoint or Hugging Face task folder)');
      return app.tasks.load(params.path);
    }),
  );
  connection.onRequest(
    PredictRequest.type,
    guarded((params, token) => {
      const p = checkPredictParams(params);
      const stop = (): boolean => token.isCancellationRequested;
      if (p.kind === 'texts') return cancellable(token, () => app.tasks.predictTexts(p.texts, p.model, stop));
      const progress = workDoneReporter(connection, p.token, 'MLM: predicting', 0);
      const report = (pr: PredictFileProgress): void =>
        progress.report(`${pr.done} / ${pr.total}`, pr.total ? pr.done / pr.total : 0);
      const end = (): void => progress.end();
      return cancellable(token, () => app.tasks.predictFile(p.file, p.model, stop, report)).finally(end);
    }),
  );
}
