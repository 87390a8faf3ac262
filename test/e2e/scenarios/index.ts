// The UI scenarios that share the main (trusted) code-server window, in the order they run: later
// ones rely on earlier ones (the hover and fine-tuning need the model trained by the Train MLM scenario).
import type { Scenario } from '../harness/scenario';
import { backendRestart } from './backendRestart';
import { invalidConfigDiagnostics } from './diagnostics';
import { runConfigFormEdits } from './runConfigForm';
import { finetuneFromPalette } from './finetune';
import { hoverFillMask } from './hover';
import { hoverJointFill } from './hoverJoint';
import { useHubModel } from './hubModel';
import { evaluateFromPalette, exportFromPalette } from './runActions';
import { surpriseLensMarksTypo } from './surpriseLens';
import { statusBarThroughRun } from './status';
import { trainFromPalette } from './train';
import { workbenchLoads } from './workbench';

export const mainScenarios: Scenario[] = [
  workbenchLoads,
  invalidConfigDiagnostics,
  runConfigFormEdits,
  trainFromPalette,
  statusBarThroughRun,
  hoverFillMask,
  hoverJointFill,
  surpriseLensMarksTypo,
  finetuneFromPalette,
  evaluateFromPalette,
  exportFromPalette,
  backendRestart,
  // Last: it changes the model the window's hovers use (and the workspace remembers it).
  useHubModel,
];
