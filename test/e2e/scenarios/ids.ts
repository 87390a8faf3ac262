// DOM ids, command titles, selectors and texts of the extension that the scenarios rely on. They come
// from the extension's code (extension/, media/, package.json, server/rpc/hoverMarkdown.ts), not
// from guesses: keep them in step with it.
export const ids = {
  /** STATUS_ITEM_ID in extension/status/statusBar.ts → DOM id "mlm-studio.mlm-studio.status". */
  statusItem: 'status',
  /**
   * extension/status/render.ts: the item's "$(icon) text" as statusText() reads it. Idle shows the backend
   * (protocol/status.ts: tensorflow, wasm, cpu) or a GPU line; not "MLM · 2 cores", which is shown
   * before the backend reported; a run that failed shows the device with $(warning).
   */
  status: {
    // The device, then the model that answers hovers when one is loaded (extension/status/render.ts; statusText
    // restores only the first codicon, so $(hubot) may be missing).
    idle: /^\$\(chip\) ((tensorflow|wasm|cpu) · \d+ cores?|GPU \S+ · .+ GB.*?)( · (\$\(hubot\) )?\S.*)?$/,
    training: /^\$\(pulse\) step (\d+)\/(\d+)( · loss [\d.]+)?$/,
    paused: /^\$\(debug-pause\) paused · step \d+/,
    restarting: /MLM restarting/,
    restricted: /^\$\(shield\) MLM restricted$/,
    failed: /^\$\((warning|error)\)/,
    /** Settled: idle, or the device shown after a failed run ($(warning)); not starting or training. */
    settled:
      /^\$\((chip|warning)\) ((tensorflow|wasm|cpu) · \d+ cores?|GPU \S+ · .+ GB.*?)( · (\$\(hubot\) )?\S.*)?$/,
  },
  /** package.json contributes.commands: category "MLM" + title. */
  commands: {
    train: 'MLM: Train MLM',
    stop: 'MLM: Stop Training',
    openDashboard: 'MLM: Open Training Dashboard',
    useHubModel: 'MLM: Use a Hugging Face Model…',
  },
  /**
   * The local Hub server test/e2e/run.ts starts for the main window (HF_ENDPOINT, a fresh HF_HOME): its repos are
   * test/unit/server/ml/hub/fixtureRepos.ts's; the RoBERTa has a byte-level BPE tokenizer and <mask>.
   */
  hub: { model: 'org/tiny-roberta' },
  /** The fixture workspace (test/fixtures/e2e-workspace/README.md). */
  files: {
    trainConfig: 'train.mlm.json',
    badConfig: 'bad.mlm.json',
    mask: 'mask.txt',
    hubMask: 'hub-mask.txt',
  },
  /** media/dashboard: run panel (runPanel.ts) and charts (chart.ts, trainingCharts.ts). */
  dashboard: {
    runTitle: '.run-panel h2',
    /** runPanel.ts: the title when the backend reported an error. */
    errorTitle: 'Backend error',
    /** runPanel.ts renderFinished(): "Last run <id>", detail "<completed|stopped|failed> at step N — …". */
    finishedTitle: 'Last run ',
    runDetail: '.run-panel .detail',
    pause: '.run-panel button[data-action="pause"]',
    resume: '.run-panel button[data-action="resume"]',
    stepCell: '.run-panel .numbers .cell',
    lossChart: 'section.chart:has(h3:text-matches("^Loss"))',
    chartEmpty: '.empty',
    chartCanvas: '.plot canvas',
  },
  /**
   * Fine-tuning (extension/commands/finetune.ts, media/dashboard/taskPanel.ts): the picks' rows (the pretraining run
   * id holds the fixture's preset "tiny"), the task panel's confusion matrix, the Classify Selection message
   * ("MLM: <label> — <label> 87.3 % · …") and the selection hover's table.
   */
  finetune: {
    command: 'MLM: Fine-tune…',
    pretrainedRow: 'tiny',
    dataRow: 'reviews.csv',
    kindRow: 'classification',
    labels: ['negative', 'neutral', 'positive'],
    panel: '.task-panel',
    matrix: '[data-testid="confusion-matrix"] table.matrix',
    matrixPredicted: '[data-testid="confusion-matrix"] table.matrix th.pred',
    matrixCounts: '[data-testid="confusion-matrix"] table.matrix td:not(.f1)',
    inputFile: 'comments.txt',
    classify: 'MLM: Classify Selection',
    classifiedMessage: /MLM: (negative|neutral|positive) — /,
    hoverHeader: 'probability',
    hoverWord: 'tea',
  },
  /** server/rpc/hoverMarkdown.ts: "**Fill mask**" and a table whose token cells link to mlm.replaceMask. */
  hover: { title: 'Fill mask', replaceLinks: 'table a' },
  /**
   * server/rpc/hoverMarkdown.ts jointRows: "**Best completions** (2 masks, filled jointly)", one row per completion
   * with the filled words in bold (<strong>) and a "fill all" link.
   */
  /**
   * The surprise lens (extension/surprise/lens.ts, pick.ts): the command's title, the fixture with a planted typo,
   * and the hover "**Surprising word** `rvier` — the model gives it …" whose table links the alternatives.
   */
  lens: {
    command: 'MLM: Show Surprising Words',
    file: 'typo.txt',
    typo: 'rvier',
    /** Text of the typo's line that stays when the typo is replaced. */
    line: 'A farmer walked to the',
    title: 'Surprising word',
    replaceLinks: 'table a',
  },
  jointHover: { file: 'two-masks.txt', title: 'Best completions', fillAll: 'a:text-is("fill all")' },
  /**
   * The run actions (extension/commands/evaluateRun.ts, exportRun.ts, pickRun.ts): the palette titles, the run
   * pick's row (the fixture's preset), Evaluate's held-out row, the messages and the evaluation report's preview tab.
   */
  actions: {
    evaluate: 'MLM: Evaluate Run…',
    export: 'MLM: Export to Hugging Face…',
    pretrainedRow: 'tiny',
    heldOutRow: "The run's held-out split",
    evaluatedMessage:
      /masked-token accuracy [\d.]+ % \(unigram baseline [\d.]+ %\), loss [\d.]+, perplexity [\d.]+/,
    evaluationTab: 'evaluation',
    exportedMessage: /MLM: exported .* BertForMaskedLM/,
  },
  /**
   * The run-config form (media/runConfigForm/, extension/runConfig/formEditor.ts): fields are `[data-field="a.b"]`
   * with an input and a `.message`; the problem list; the "Open as Text" button; the text editor's way back.
   */
  form: {
    file: 'form.mlm.json',
    problems: 'ul.problems',
    openText: 'button.open-text',
    openForm: 'MLM: Open in Form Editor',
    openTextCommand: 'MLM: Open as Text',
    lrRefused: 'training.lr must be > 0, got -1',
  },
};
