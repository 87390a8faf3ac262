/**
 * The rows of a text format as labelled examples: CSV/TSV records (delimited.ts) and JSONL objects by column, and
 * CoNLL sentences; each unusable row becomes a bad row with its file:line and the reason (reader.ts reads the file).
 */
import { parseDelimited } from './delimited';
import type { LabelledData, ReadOptions, TextExample, TokenExample } from './types';
import { FinetuneDataError } from './types';

export const INVALID_UTF8 = 'invalid UTF-8: re-save the file as UTF-8';

export function readDelimited(
  file: string,
  text: string,
  delimiter: ',' | '\t',
  badLines: Set<number>,
  opts: ReadOptions,
  out: LabelledData,
): void {
  const records = parseDelimited(text, delimiter);
  if (!records.length) return;
  const [header, ...rows] = records;
  const names = header.fields.map((f) => f.trim());
  const col = (name: string): number => names.indexOf(name);
  const textName = opts.textColumn ?? 'text';
  const labelName = opts.labelColumn ?? (col('label') >= 0 ? 'label' : 'labels');
  const pairName = opts.textPairColumn ?? 'text_pair';
  const columnsText = names.map((n) => JSON.stringify(n)).join(', ');
  for (const [name, option] of [
    [textName, '--text-column'],
    [labelName, '--label-column'],
  ]) {
    if (col(name) < 0) {
      throw new FinetuneDataError(
        `${file}: the header has no column "${name}" (columns: ${columnsText}); name the column with ${option}` +
          (delimiter === ',' && names.length === 1 && names[0].includes('\t')
            ? ' (a tab-separated file? name it .tsv)'
            : ''),
      );
    }
  }
  if (opts.textPairColumn && col(pairName) < 0) {
    throw new FinetuneDataError(`${file}: the header has no column "${pairName}" (columns: ${columnsText})`);
  }
  const ti = col(textName);
  const li = col(labelName);
  const pi = col(pairName);
  for (const r of rows) {
    const where = `${file}:${r.line}`;
    const lastLine = r.line + (r.fields.join('').match(/\n/g)?.length ?? 0);
    let broken = false;
    for (let l = r.line; l <= lastLine; l++) if (badLines.has(l)) broken = true;
    if (broken) {
      out.bad.push({ where, reason: INVALID_UTF8 });
      continue;
    }
    if (r.error) {
      out.bad.push({ where, reason: `broken quoting: ${r.error}` });
      continue;
    }
    if (r.fields.length !== names.length) {
      const missing = [textName, labelName].filter((n) => col(n) >= r.fields.length);
      out.bad.push({
        where,
        reason: missing.length
          ? `missing column ${missing.map((m) => `"${m}"`).join(' and ')} (${r.fields.length} fields, the header has ${names.length})`
          : `${r.fields.length} fields but the header has ${names.length} (an unquoted "${delimiter === ',' ? ',' : 'tab'}" in a field?)`,
      });
      continue;
    }
    addTextExample(where, r.fields[ti], pi >= 0 ? r.fields[pi] : undefined, r.fields[li], opts, out);
  }
}

export function readJsonl(
  file: string,
  text: string,
  badLines: Set<number>,
  opts: ReadOptions,
  out: LabelledData,
): void {
  const lines = text.split('\n');
  for (const [k, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const where = `${file}:${k + 1}`;
    if (badLines.has(k + 1)) {
      out.bad.push({ where, reason: INVALID_UTF8 });
      continue;
    }
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      out.bad.push({ where, reason: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      out.bad.push({ where, reason: 'not a JSON object' });
      continue;
    }
    const o = row as Record<string, unknown>;
    if (opts.task === 'token') {
      addJsonTokenExample(where, o, out);
      continue;
    }
    const textName = opts.textColumn ?? 'text';
    const labelName = opts.labelColumn ?? ('labels' in o && !('label' in o) ? 'labels' : 'label');
    const pairName = opts.textPairColumn ?? 'text_pair';
    const missing = [textName, labelName].filter((n) => !(n in o));
    if (missing.length) {
      out.bad.push({ where, reason: `missing field ${missing.map((m) => `"${m}"`).join(' and ')}` });
      continue;
    }
    if (typeof o[textName] !== 'string') {
      out.bad.push({ where, reason: `"${textName}" is not a string` });
      continue;
    }
    const pair = o[pairName];
    if (pair !== undefined && pair !== null && typeof pair !== 'string') {
      out.bad.push({ where, reason: `"${pairName}" is not a string` });
      continue;
    }
    addTextExample(
      where,
      o[textName] as string,
      (pair as string | null) ?? undefined,
      o[labelName],
      opts,
      out,
    );
  }
}

function addJsonTokenExample(where: string, o: Record<string, unknown>, out: LabelledData): void {
  const words = o.tokens ?? o.words;
  const tags = o.tags ?? o.ner_tags ?? o.labels;
  if (!Array.isArray(words) || !Array.isArray(tags)) {
    out.bad.push({ where, reason: 'missing "tokens" (or "words") and "tags" arrays' });
    return;
  }
  if (words.length !== tags.length) {
    out.bad.push({ where, reason: `${words.length} tokens but ${tags.length} tags` });
    return;
  }
  if (!words.length) {
    out.bad.push({ where, reason: 'empty sentence' });
    return;
  }
  if (words.some((w) => typeof w !== 'string' || !w.trim())) {
    out.bad.push({ where, reason: 'a token is empty or not a string' });
    return;
  }
  if (tags.some((t) => (typeof t !== 'string' && typeof t !== 'number') || String(t).trim() === '')) {
    out.bad.push({ where, reason: 'a tag is empty or not a string' });
    return;
  }
  out.examples.push({ where, words: words as string[], tags: tags.map((t) => String(t).trim()) });
}

/** Splits a label cell: a JSON array, else the separator; trimmed, empty parts dropped. */
function splitCell(cell: string, sep: string): string[] {
  const s = cell.trim();
  if (s.startsWith('[')) {
    try {
      const a = JSON.parse(s) as unknown;
      if (Array.isArray(a)) return a.map((x) => String(x).trim()).filter((x) => x !== '');
    } catch {
      // not JSON: split below
    }
  }
  return s
    .split(sep)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function addTextExample(
  where: string,
  text: string,
  textPair: string | undefined,
  label: unknown,
  opts: ReadOptions,
  out: LabelledData,
): void {
  if (!text.trim()) {
    out.bad.push({ where, reason: 'empty text' });
    return;
  }
  const sep = opts.labelSeparator ?? ',';
  const base: TextExample = { where, text, labels: [] };
  if (textPair !== undefined && textPair.trim()) base.textPair = textPair;
  if (label === null || label === undefined) {
    out.bad.push({ where, reason: 'missing label' });
    return;
  }
  if (opts.task === 'regression') {
    const parts = Array.isArray(label)
      ? label
      : typeof label === 'number'
        ? [label]
        : typeof label === 'string'
          ? splitCell(label, sep)
          : [];
    const values = parts.map((p) =>
      typeof p === 'number' ? p : typeof p === 'string' && p.trim() ? Number(p) : NaN,
    );
    if (!values.length || values.some((v) => !Number.isFinite(v))) {
      out.bad.push({
        where,
        reason: `the regression target ${JSON.stringify(label)} is not a number (or a list of numbers)`,
      });
      return;
    }
    out.examples.push({ ...base, values });
    return;
  }
  if (opts.task === 'multilabel') {
    const labels = Array.isArray(label)
      ? label.map((x) => String(x).trim()).filter((x) => x !== '')
      : splitCell(String(label), sep);
    out.examples.push({ ...base, labels: [...new Set(labels)] });
    return;
  }
  if (typeof label === 'object') {
    out.bad.push({
      where,
      reason: `the label ${JSON.stringify(label)} is not one value (use --task multilabel for lists)`,
    });
    return;
  }
  const l = String(label).trim();
  if (!l) {
    out.bad.push({ where, reason: 'empty label' });
    return;
  }
  out.examples.push({ ...base, labels: [l] });
}

export function readConll(file: string, text: string, badLines: Set<number>, out: LabelledData): void {
  const lines = text.split('\n');
  let words: string[] = [];
  let tags: string[] = [];
  let start = 0;
  let broken: string | undefined;
  const flush = (): void => {
    if (words.length) {
      const where = `${file}:${start}`;
      if (broken) out.bad.push({ where, reason: broken });
      else out.examples.push({ where, words, tags } satisfies TokenExample);
    }
    words = [];
    tags = [];
    broken = undefined;
  };
  for (const [k, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    const n = k + 1;
    if (!line.trim()) {
      flush();
      continue;
    }
    if (line.startsWith('-DOCSTART-')) continue;
    if (!words.length) start = n;
    if (badLines.has(n)) {
      broken ??= `${INVALID_UTF8} (line ${n})`;
      words.push('?');
      continue;
    }
    const cols = line.includes('\t') ? line.split('\t') : line.trim().split(/\s+/);
    if (cols.length < 2 || !cols[0].trim() || !cols[cols.length - 1].trim()) {
      broken ??= `line ${n} is not "word<TAB>tag"`;
      words.push('?');
      continue;
    }
    words.push(cols[0].trim());
    tags.push(cols[cols.length - 1].trim());
  }
  flush();
}
