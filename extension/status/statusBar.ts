/** The one status item: renders the context's state through renderStatus() whenever it changes. */
import * as vscode from 'vscode';
import type { Ctx } from '../context';
import { formatRemoteAddress } from '../settings';
import { renderStatus } from './render';

/** Item id; VS Code prefixes it with the extension id, so the DOM id is "mlm-studio.mlm-studio.status". */
export const STATUS_ITEM_ID = 'status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Left, 0);
    this.item.name = 'MLM Studio';
    this.subscription = ctx.onDidChange(() => this.update());
    this.update();
    this.item.show();
  }

  /** The text currently shown (tests read it). */
  get text(): string {
    return this.item.text;
  }

  update(): void {
    const ctx = this.ctx;
    const connection = ctx.connection === 'running' && !ctx.trusted ? 'untrusted' : ctx.connection;
    const view = renderStatus({
      connection,
      status: ctx.status,
      gpu: ctx.gpu,
      clientMessage: ctx.stopMessage,
      remote: ctx.remote && formatRemoteAddress(ctx.remote),
    });
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = { enabledCommands: view.linkedCommands };
    this.item.tooltip = tooltip;
    this.item.command = view.command;
    this.item.backgroundColor =
      view.severity === 'normal'
        ? undefined
        : new vscode.ThemeColor(
            view.severity === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground',
          );
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
