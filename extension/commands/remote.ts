/**
 * MLM: Connect to Remote Backend… (address + token; the token goes to SecretStorage, the address and mode to the user
 * settings) and MLM: Use Local Backend. See docs/scale-out.md for starting `mlm serve --socket` and the SSH tunnel.
 */
import * as vscode from 'vscode';
import { tokenKey } from '../client/remote';
import { readClientSettings } from '../config';
import type { Ctx } from '../context';
import { formatRemoteAddress, parseRemoteAddress } from '../settings';

/** Arguments for scripted use (tests, other extensions); without them the command asks. */
export interface ConnectRemoteArgs {
  address?: string;
  token?: string;
}

const MIN_TOKEN = 16;

/** Resolves true once connected, false when it could not connect (the status item says why), undefined if cancelled. */
export async function connectRemote(ctx: Ctx, arg?: unknown): Promise<boolean | undefined> {
  const given = (arg ?? {}) as ConnectRemoteArgs;
  const current = readClientSettings().settings.address;
  const text =
    given.address ??
    (await vscode.window.showInputBox({
      title: 'Connect to Remote Backend (1/2)',
      prompt:
        'host:port where `mlm serve --socket PORT` listens; through an SSH tunnel (ssh -L PORT:127.0.0.1:PORT host) that is 127.0.0.1:PORT',
      value: current ? formatRemoteAddress(current) : '127.0.0.1:7000',
      ignoreFocusOut: true,
      validateInput: (t) => {
        const a = parseRemoteAddress(t);
        return typeof a === 'string' ? a : undefined;
      },
    }));
  if (text === undefined) return undefined;
  const address = parseRemoteAddress(text);
  if (typeof address === 'string') throw new Error(`Remote backend address: ${address}`);
  const token =
    given.token ??
    (await vscode.window.showInputBox({
      title: 'Connect to Remote Backend (2/2)',
      prompt: `The token of the backend at ${formatRemoteAddress(address)}: the one \`mlm serve\` printed, or the content of its --token-file. It is kept in VS Code's secret storage.`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (t) =>
        t.trim().length >= MIN_TOKEN ? undefined : `The token has at least ${MIN_TOKEN} characters.`,
    }));
  if (token === undefined) return undefined;
  if (token.trim().length < MIN_TOKEN) throw new Error(`The token has at least ${MIN_TOKEN} characters.`);
  await ctx.extension.secrets.store(tokenKey(address), token.trim());
  await ctx.useBackend({ mode: 'remote', address: formatRemoteAddress(address) });
  return ctx.running;
}

/** Switches back to a backend spawned on this machine. */
export async function useLocalBackend(ctx: Ctx): Promise<boolean> {
  await ctx.useBackend({ mode: 'local' });
  return ctx.running;
}
