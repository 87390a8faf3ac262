/**
 * Escapes text from the backend, a model or the workspace so that it renders literally inside Markdown (hover
 * tables, status tooltips): every CommonMark punctuation character that can start markup is backslash-escaped —
 * no HTML, emphasis, links, code spans or table pipes — and newlines become spaces.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|~<>&$]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}
