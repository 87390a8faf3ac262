/**
 * The run-config form webview (browser IIFE, dist/media/runConfigForm.js): the custom editor of `*.mlm.json`. The
 * form is built once from the JSON Schema (protocol/runConfigForm.ts); every `document` message from the host fills it
 * with the file's values and the validator's problems. Changes go to the host as `edit`s; the host writes them into
 * the TextDocument (or refuses them with the validator's message), and the new text comes back as a `document`.
 */
import './form.css';
import schema from '../../protocol/runConfig.schema.json';
import { runConfigForm, type FormSection } from '../../protocol/runConfigForm';
import {
  isHostToFormMessage,
  type FormPreset,
  type FormProblem,
  type FormToHostMessage,
  type HostToFormMessage,
} from '../../protocol/runConfigFormMessages';
import { h } from '../dashboard/dom';
import { FieldView } from './fields';

interface VsCodeApi {
  postMessage(message: FormToHostMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const send = (m: FormToHostMessage): void => vscode.postMessage(m);

const form = runConfigForm(schema);
const views = new Map<string, FieldView>();
const sectionMessages = new Map<string, HTMLElement>();
const sectionToggles = new Map<string, HTMLButtonElement>();
const actions = {
  edit: (path: string[], value: unknown) => send({ type: 'edit', path, value }),
  pick: (path: string[], kind: 'file' | 'folder', append: boolean) =>
    send({ type: 'pickPath', path, kind, append }),
};

const banner = h('div', { class: 'banner', role: 'alert' });
const problemList = h('ul', { class: 'problems' });
const presetSelect = h('select', { 'aria-label': 'Preset' });
const applyPreset = h('button', { class: 'secondary', text: 'Apply preset' });
applyPreset.addEventListener('click', () => {
  if (presetSelect.value) send({ type: 'applyPreset', id: presetSelect.value });
});
const openText = h('button', { class: 'secondary open-text', text: 'Open as Text' });
openText.addEventListener('click', () => send({ type: 'openText' }));
const fieldset = h('fieldset', { class: 'form' }, [renderSection(form, 2)]);

const app = document.getElementById('app');
app?.replaceChildren(
  h('header', {}, [
    h('h1', { text: 'Run configuration' }),
    h('span', { class: 'file', text: document.body.dataset.file ?? '' }),
    h('span', { class: 'spacer' }),
    presetSelect,
    applyPreset,
    openText,
  ]),
  h('p', {
    class: 'help',
    text: 'Every field is optional: a field left empty takes the default shown. Changes are written to the file (undo with Ctrl+Z, save with Ctrl+S); comments and other keys stay.',
  }),
  banner,
  problemList,
  fieldset,
);

function renderSection(s: FormSection, level: number): HTMLElement {
  const key = s.path.join('.');
  const message = h('div', { class: 'message', role: 'alert' });
  sectionMessages.set(key, message);
  const heading = h(level === 2 ? 'h2' : 'h3', { text: s.title }, [
    key ? h('code', { class: 'key', text: key }) : null,
  ]);
  const toggle = s.nullable ? nullToggle(s) : null;
  const el = h('section', { class: `section level-${level}`, 'data-section': key || 'general' }, [
    h('div', { class: 'section-head' }, [heading, toggle]),
    s.description ? h('div', { class: 'help', text: s.description }) : null,
    message,
  ]);
  for (const f of s.fields) {
    const v = new FieldView(f, actions);
    views.set(f.path.join('.'), v);
    el.append(v.element);
  }
  for (const sub of s.sections) el.append(renderSection(sub, level + 1));
  return el;
}

/**
 * A section that may be null. Default not null (training.lossSpike): *Turn off (null)* / *Turn on* (the key removed).
 * Default null (task): its fields create it; *Remove section* takes the key out again.
 */
function nullToggle(s: FormSection): HTMLButtonElement {
  const b = h('button', { class: 'secondary toggle' });
  b.addEventListener('click', () => {
    const value = b.dataset.action === 'off' ? null : undefined;
    send({ type: 'edit', path: s.path, value });
  });
  sectionToggles.set(s.path.join('.'), b);
  return b;
}

function showToggle(b: HTMLButtonElement, value: unknown, dflt: unknown): void {
  const section = b.closest('section');
  if (dflt === null) {
    b.hidden = value === undefined;
    b.dataset.action = 'remove';
    b.textContent = 'Remove section';
    section?.classList.remove('off');
    return;
  }
  const off = value === null;
  b.hidden = false;
  b.dataset.action = off ? 'remove' : 'off';
  b.textContent = off ? 'Turn on' : 'Turn off (null)';
  section?.classList.toggle('off', off);
}

function at(value: unknown, path: string[]): unknown {
  let v = value;
  for (const k of path)
    v =
      typeof v === 'object' && v !== null && !Array.isArray(v)
        ? (v as Record<string, unknown>)[k]
        : undefined;
  return v;
}

function showDocument(m: Extract<HostToFormMessage, { type: 'document' }>): void {
  showPresets(m.presets);
  banner.textContent = m.error
    ? `This file is not valid JSON (${m.error}). Fix it as text (Open as Text); the form follows.`
    : '';
  banner.hidden = !m.error;
  fieldset.disabled = m.error !== undefined;
  if (m.error) return;
  const byField = new Map<string, string[]>();
  for (const p of m.problems) byField.set(p.field, [...(byField.get(p.field) ?? []), p.message]);
  for (const [key, view] of views) view.render(at(m.value, view.field.path), byField.get(key) ?? []);
  for (const [key, el] of sectionMessages) el.textContent = (byField.get(key) ?? []).join('\n');
  for (const [key, b] of sectionToggles) showToggle(b, at(m.value, key.split('.')), defaultOf(key));
  showProblems(m.problems);
}

function defaultOf(key: string): unknown {
  const find = (s: FormSection): FormSection | undefined =>
    s.path.join('.') === key ? s : s.sections.map(find).find((x) => x !== undefined);
  return find(form)?.default;
}

function showProblems(problems: FormProblem[]): void {
  problemList.replaceChildren(
    ...problems.map((p) => {
      const li = h('li', { text: p.message });
      const target = views.get(p.field)?.element;
      if (target) {
        li.classList.add('link');
        li.addEventListener('click', () => target.scrollIntoView({ block: 'center' }));
      }
      return li;
    }),
  );
  problemList.hidden = problems.length === 0;
}

let shownPresets = '';
function showPresets(presets: FormPreset[]): void {
  const key = JSON.stringify(presets);
  if (key === shownPresets) return;
  shownPresets = key;
  presetSelect.replaceChildren(
    h('option', { value: '', text: 'Start from a preset…' }),
    ...presets.map((p) => h('option', { value: p.id, text: p.label, title: p.detail })),
  );
}

window.addEventListener('message', (e: MessageEvent) => {
  const m: unknown = e.data;
  if (!isHostToFormMessage(m)) {
    console.warn('run-config form: ignored a malformed message', m);
    return;
  }
  if (m.type === 'document') showDocument(m);
  else if (views.has(m.field)) views.get(m.field)?.refuse(m.message);
  else {
    const el = sectionMessages.get(m.field);
    if (el) el.textContent = m.message;
  }
});
send({ type: 'ready' });
