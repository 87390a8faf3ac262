/**
 * Escapes text from the backend or the workspace so that it renders literally inside a Markdown string
 * (every CommonMark punctuation that can start markup is backslash-escaped; newlines become spaces).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|~<>&$]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}
