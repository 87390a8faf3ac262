/**
 * Hugging Face Hub model ids and revisions, validated as huggingface_hub does (validate_repo_id):
 * "NAME" or "ORG/NAME", letters, digits, '-', '_', '.', at most 96 characters a part, no "--" or "..",
 * not starting or ending with '-' or '.', not ending with ".git".
 */
import { HubError } from './errors';

const PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}$/;
/** A full commit hash: what snapshots/ folders are named after. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** Why `id` is not a Hub model id, or undefined when it is one. */
export function repoIdProblem(id: string): string | undefined {
  const parts = id.split('/');
  if (parts.length > 2) return 'a Hub id has at most one "/" (ORG/NAME)';
  for (const p of parts) {
    if (!PART.test(p) || p.endsWith('-') || p.endsWith('.')) {
      return 'each part of a Hub id is 1-96 letters, digits, "-", "_" or "." and starts and ends with a letter or digit';
    }
  }
  if (id.includes('--') || id.includes('..')) return 'a Hub id cannot contain "--" or ".."';
  if (id.endsWith('.git')) return 'a Hub id cannot end with ".git"';
  return undefined;
}

export function isRepoId(id: string): boolean {
  return repoIdProblem(id) === undefined;
}

export function checkRepoId(id: string): string {
  const problem = repoIdProblem(id);
  if (problem) throw new HubError('InvalidId', `"${id}" is not a Hugging Face Hub model id: ${problem}`);
  return id;
}

/** A branch, tag or commit: no "..", no leading "/", nothing that escapes refs/. */
export function checkRevision(revision: string): string {
  const bad =
    revision === '' ||
    revision.startsWith('/') ||
    revision.endsWith('/') ||
    revision.split('/').some((p) => p === '' || p === '.' || p === '..') ||
    revision.includes('\\') ||
    /[\s~^:?*[]/.test(revision);
  if (bad)
    throw new HubError('InvalidId', `"${revision}" is not a valid revision (a branch, tag or commit hash)`);
  return revision;
}

/** The cache folder name of a model repo: models--ORG--NAME (huggingface_hub's repo_folder_name). */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

/** The model id a cache folder name stands for, or undefined when it is not a model repo folder. */
export function repoIdFromFolder(folder: string): string | undefined {
  if (!folder.startsWith('models--')) return undefined;
  const id = folder.slice('models--'.length).split('--').join('/');
  return isRepoId(id) ? id : undefined;
}
