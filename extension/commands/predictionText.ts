/** A task model's prediction in words (messages) and markdown (the selection hover). Pure: no `vscode`. */
import * as path from 'node:path';
import { escapeMarkdown } from '../../protocol/shared/markdown';
import type { TaskModelInfo, TaskPrediction } from '../../protocol/shared/taskPrediction';

/** "positive 87.3 % · neutral 9.1 % · negative 3.6 %", a regression's values, or a token model's entities. */
export function describePrediction(p: TaskPrediction, max = 5): string {
  if (p.entities) {
    return p.entities.length
      ? p.entities.map((e) => `${e.type} "${e.text}" ${(e.score * 100).toFixed(1)} %`).join(' · ')
      : 'no entities';
  }
  if (p.values) return p.values.map((v) => v.toFixed(4)).join(', ');
  const head = p.labels.length ? p.labels.join(', ') : '(no label over the threshold)';
  const scores = p.scores
    .slice(0, max)
    .map((s) => `${s.label} ${(s.score * 100).toFixed(1)} %`)
    .join(' · ');
  return `${head} — ${scores}`;
}

/** The hover's markdown: the label in bold, then every label's probability (entities / values for other tasks). */
export function predictionMarkdown(p: TaskPrediction, model: TaskModelInfo): string {
  const from = `*${escapeMarkdown(model.runId ?? path.basename(model.dir))}${model.step !== undefined ? ` @ step ${model.step}` : ''} (${model.task})*`;
  const lines: string[] = [];
  if (p.entities) {
    lines.push(p.entities.length ? '| entity | text | score |\n|---|---|---:|' : '**no entities**');
    for (const e of p.entities)
      lines.push(
        `| ${escapeMarkdown(e.type)} | ${escapeMarkdown(e.text)} | ${(e.score * 100).toFixed(1)} % |`,
      );
  } else if (p.values) {
    lines.push(`**${p.values.map((v) => v.toFixed(4)).join(', ')}**`);
  } else {
    lines.push(`**${escapeMarkdown(p.labels.join(', ') || '(no label over the threshold)')}**`, '');
    lines.push('| label | probability |', '|---|---:|');
    for (const s of p.scores) lines.push(`| ${escapeMarkdown(s.label)} | ${(s.score * 100).toFixed(1)} % |`);
  }
  if (p.truncated) lines.push('', '*(the text was cut to the model’s max length)*');
  return [...lines, '', from].join('\n');
}
