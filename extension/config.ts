/** Reads the `mlm.*` settings from VS Code's configuration, always through the one parser of each part. */
import * as vscode from 'vscode';
import { parseServerSettings, type ServerSettings } from '../protocol/settings';
import { parseClientSettings, type ParsedClientSettings } from './settings';

export function readClientSettings(): ParsedClientSettings {
  const c = vscode.workspace.getConfiguration('mlm');
  return parseClientSettings({
    server: { runtime: c.get('server.runtime') },
    dashboard: { smoothing: c.get('dashboard.smoothing') },
    classify: { hover: c.get('classify.hover') },
  });
}

/** The backend's settings as the backend will see them (mask token, hover languages, top-k). */
export function readServerSettings(): ServerSettings {
  return parseServerSettings(vscode.workspace.getConfiguration().get('mlm')).settings;
}
