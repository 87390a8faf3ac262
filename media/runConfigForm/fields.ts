/**
 * One field of the run-config form: its label, help, default, input and messages. The input is built from the field's
 * widget (protocol/runConfigForm.ts); what was typed goes through parseInput and, when it reads, to the host as an
 * edit. Ranges are the host's validator's job: a refused value stays in the input with the validator's message.
 */
import {
  defaultText,
  describeWidget,
  formatValue,
  parseInput,
  type FieldWidget,
  type FormField,
  type PathKind,
} from '../../protocol/runConfigForm';
import { h } from '../dashboard/dom';

/** What a field asks the host for. */
export interface FieldActions {
  edit(path: string[], value: unknown): void;
  pick(path: string[], kind: 'file' | 'folder', append: boolean): void;
}

/** An input element of a widget, and how to show a value in it and read it back. */
interface Control {
  element: HTMLElement;
  /** The element that takes focus and shows the invalid state. */
  focus: HTMLElement;
  show(value: unknown, fallback: unknown): void;
  read(): { ok: true; value: unknown } | { ok: false; error: string };
  /** The user changed it and it is not yet written. */
  onChange(listener: () => void): void;
}

export class FieldView {
  readonly element: HTMLElement;
  private readonly control: Control;
  private readonly message: HTMLElement;
  private readonly reset: HTMLButtonElement;
  /** A value the host refused: kept on screen until the document's value for this field changes. */
  private refused: { docValue: string } | undefined;
  private docValue = 'undefined';

  constructor(
    readonly field: FormField,
    private readonly actions: FieldActions,
  ) {
    const id = `f-${field.path.join('-')}`;
    this.control = control(field, id);
    this.message = h('div', { class: 'message', role: 'alert' });
    this.reset = h('button', {
      class: 'icon reset',
      title: 'Reset to the default (remove the key)',
      'aria-label': `Reset ${field.path.join('.')}`,
      text: '↺',
    });
    this.reset.addEventListener('click', () => actions.edit(field.path, undefined));
    const dflt = defaultText(field);
    this.element = h('div', { class: 'field', 'data-field': field.path.join('.') }, [
      h('div', { class: 'label-row' }, [
        h('label', { for: id, text: field.label }),
        h('code', { class: 'key', text: field.path.join('.') }),
        field.required ? h('span', { class: 'required', text: 'required' }) : null,
        this.reset,
      ]),
      field.description ? h('div', { class: 'help', text: field.description }) : null,
      h('div', { class: 'input-row' }, [this.control.element, ...pickers(field, actions)]),
      h('div', {
        class: 'hint',
        text: [dflt, rangeText(field.widget), nullText(field)].filter(Boolean).join(' · '),
      }),
      this.message,
    ]);
    this.control.onChange(() => this.commit());
  }

  /** Shows the document's value (undefined: left out) and the validator's problems about this field. */
  render(value: unknown, problems: string[]): void {
    const docValue = JSON.stringify(value) ?? 'undefined';
    if (this.refused && this.refused.docValue !== docValue) this.refused = undefined;
    this.docValue = docValue;
    const typing =
      document.activeElement === this.control.focus && this.element.classList.contains('editing');
    if (!this.refused && !typing) this.control.show(value, this.field.default);
    this.element.classList.toggle('modified', value !== undefined);
    this.reset.hidden = value === undefined;
    if (!this.refused) this.showMessage(problems.join('\n'));
  }

  /** The host refused the value in the input. */
  refuse(message: string): void {
    this.refused = { docValue: this.docValue };
    this.showMessage(message);
  }

  private commit(): void {
    this.element.classList.remove('editing');
    const r = this.control.read();
    if (!r.ok) {
      this.refused = { docValue: this.docValue };
      this.showMessage(r.error);
      return;
    }
    this.refused = undefined;
    this.showMessage('');
    this.actions.edit(this.field.path, r.value);
  }

  private showMessage(text: string): void {
    this.message.textContent = text;
    this.element.classList.toggle('invalid', text !== '');
    this.control.focus.setAttribute('aria-invalid', String(text !== ''));
  }
}

function rangeText(w: FieldWidget): string {
  if (w.kind === 'number') {
    const d = describeWidget(w);
    return d === 'integer' || d === 'number' ? d : `range: ${d}`;
  }
  if (w.kind === 'text' && w.pattern) return `pattern: ${w.pattern}`;
  if (w.kind === 'text' && w.maxLength !== undefined) return `at most ${w.maxLength} characters`;
  if (w.kind === 'list') return `one per line${w.minItems ? `, at least ${w.minItems}` : ''}`;
  return '';
}

const nullText = (f: FormField): string =>
  f.nullable && f.widget.kind !== 'list' && f.default !== null ? 'type null for none' : '';

function pickers(field: FormField, actions: FieldActions): HTMLElement[] {
  const w = field.widget;
  const kind: PathKind | undefined = w.kind === 'text' || w.kind === 'list' ? w.pathKind : undefined;
  if (!kind) return [];
  const append = w.kind === 'list';
  const kinds: Array<'file' | 'folder'> = kind === 'any' ? ['file', 'folder'] : [kind];
  return kinds.map((k) => {
    const b = h('button', {
      class: 'secondary pick',
      'data-pick': k,
      text: `${append ? 'Add' : 'Choose'} ${k}…`,
    });
    b.addEventListener('click', () => actions.pick(field.path, k, append));
    return b;
  });
}

/** The input of a field: checkbox, select, text or textarea (numbers are text, so that `null` can be typed). */
function control(field: FormField, id: string): Control {
  const w = field.widget;
  if (w.kind === 'boolean') {
    const box = h('input', { type: 'checkbox', id });
    return {
      element: box,
      focus: box,
      show: (v, fallback) => (box.checked = (v ?? fallback) === true),
      read: () => ({ ok: true, value: box.checked }),
      onChange: (l) => box.addEventListener('change', l),
    };
  }
  if (w.kind === 'enum' || w.kind === 'anyOf') return choiceControl(field, id);
  return textControl(field, w, id);
}

function textControl(field: FormField, w: FieldWidget, id: string): Control {
  const multi = w.kind === 'list';
  const input = multi
    ? h('textarea', { id, rows: 3, spellcheck: 'false' })
    : h('input', {
        type: 'text',
        id,
        spellcheck: 'false',
        inputmode: w.kind === 'number' ? 'decimal' : undefined,
      });
  input.placeholder =
    w.kind === 'list' && Array.isArray(field.default) ? field.default.join('\n') : defaultText(field);
  return {
    element: input,
    focus: input,
    show: (v) => (input.value = formatValue(w, v)),
    read: () => parseInput(w, field.nullable, input.value),
    onChange: (l) => {
      input.addEventListener('input', () => input.closest('.field')?.classList.add('editing'));
      // Enter in a text input, or leaving it, fires `change` (once).
      input.addEventListener('change', l);
    },
  };
}

/**
 * An enum or an anyOf: a select whose first option is "default" (the key left out); an anyOf alternative that is not
 * a constant (an integer range, a list of numbers) shows its own text input when chosen.
 */
function choiceControl(field: FormField, id: string): Control {
  const w = field.widget;
  const options =
    w.kind === 'enum'
      ? w.options.map((o) => ({ label: String(o), constant: o as unknown, widget: undefined }))
      : w.kind === 'anyOf'
        ? w.alternatives.map((a) => ({ label: a.label, constant: a.constant as unknown, widget: a.widget }))
        : [];
  const select = h('select', { id }, [
    h('option', { value: '', text: field.default === undefined ? '(not set)' : `(${defaultText(field)})` }),
    ...options.map((o, i) =>
      h('option', { value: String(i), text: o.widget ? `${describeWidget(o.widget)}…` : o.label }),
    ),
  ]);
  const extra = h('input', { type: 'text', class: 'alternative', spellcheck: 'false' });
  extra.hidden = true;
  const chosen = () => (select.value === '' ? undefined : options[Number(select.value)]);
  const sync = () => {
    const o = chosen();
    extra.hidden = !o?.widget;
    if (o?.widget) extra.placeholder = describeWidget(o.widget);
  };
  return {
    element: h('span', { class: 'choice' }, [select, extra]),
    focus: select,
    show: (v) => {
      if (v === undefined) select.value = '';
      else {
        let i = options.findIndex((o) => o.constant !== undefined && o.constant === v);
        if (i < 0)
          i = options.findIndex(
            (o) => o.widget && (Array.isArray(v) ? o.widget.kind === 'list' : o.widget.kind !== 'list'),
          );
        select.value = i < 0 ? '' : String(i);
        const o = options[i];
        extra.value = o?.widget ? formatValue(o.widget, v).replace(/\n/g, ', ') : '';
      }
      sync();
    },
    read: () => {
      const o = chosen();
      if (!o) return { ok: true, value: undefined };
      if (!o.widget) return { ok: true, value: o.constant };
      const text = o.widget.kind === 'list' ? extra.value.split(',').join('\n') : extra.value;
      return parseInput(o.widget, false, text);
    },
    onChange: (l) => {
      select.addEventListener('change', () => {
        sync();
        // A range alternative waits for its value; a constant (or "default") is written at once.
        if (!chosen()?.widget) l();
        else extra.focus();
      });
      extra.addEventListener('change', l);
    },
  };
}
