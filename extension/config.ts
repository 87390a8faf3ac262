/** Reads the `mlm.*` settings from VS Code's configuration, always through the one parser of each part. */
import * as vscode from 'vscode';
import { parseServerSettings, type ServerSettings } from '../protocol/settings';
import { parseClientSettings, type ParsedClientSettings } from './settings';

export function readClientSettings(): ParsedClientSettings {
  return parseClientSettings(vscode.workspace.getConfiguration().get('mlm'));
}

/** The backend's settings as the backend will see them (mask token, hover languages, top-k). */
export function readServerSettings(): ServerSettings {
  return parseServerSettings(vscode.workspace.getConfiguration().get('mlm')).settings;
}
