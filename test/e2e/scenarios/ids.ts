// DOM ids, command titles, selectors and texts of the extension that the scenarios rely on. They come
// from the extension's code (extension/, media/, package.json, server/handlers/hoverMarkdown.ts), not
// from guesses: keep them in step with it.
export const ids = {
  /** STATUS_ITEM_ID in extension/status/statusBar.ts → DOM id "mlm-studio.mlm-studio.status". */
  statusItem: 'status',
  /** extension/status/render.ts: texts of the item (innerText drops the codicon). */
  status: {
    /** Idle with a known device: "<backend> · N cores", or a GPU line "GPU 43% · 5.1/80 GB". */
    idle: /^(\S+ · \d+ cores?|GPU .+ GB.*)$/,
    training: /^step (\d+)\/(\d+)( · loss [\d.]+)?$/,
    paused: /^paused · step \d+/,
    restarting: /MLM restarting/,
    restricted: /MLM restricted/,
  },
  /** package.json contributes.commands: category "MLM" + title. */
  commands: {
    train: 'MLM: Train MLM',
    stop: 'MLM: Stop Training',
    openDashboard: 'MLM: Open Training Dashboard',
  },
  /** The fixture workspace (test/fixtures/e2e-workspace/README.md). */
  files: { trainConfig: 'train.mlm.json', badConfig: 'bad.mlm.json', mask: 'mask.txt' },
  /** media/dashboard: run panel (runPanel.ts) and charts (chart.ts, trainingCharts.ts). */
  dashboard: {
    runTitle: '.run-panel h2',
    runDetail: '.run-panel .detail',
    pause: '.run-panel button[data-action="pause"]',
    resume: '.run-panel button[data-action="resume"]',
    stepCell: '.run-panel .numbers .cell',
    lossChart: 'section.chart:has(h3:text-matches("^Loss"))',
    chartEmpty: '.empty',
    chartCanvas: '.plot canvas',
  },
  /** server/handlers/hoverMarkdown.ts: "**Fill mask**" and a table whose token cells link to mlm.replaceMask. */
  hover: { title: 'Fill mask', replaceLinks: 'table a' },
};
