/**
 * The door of a socket backend: the first message of a connection must be `initialize` carrying the backend's token
 * in `initializationOptions.token`. Anything else (another message first, no token, a wrong one) is answered with
 * MlmErrorCodes.Unauthorized where it was a request, and the connection is closed; nothing reaches the handlers.
 * The token is compared in constant time and removed from the params before the server sees them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
  AbstractMessageReader,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageReader,
} from 'vscode-languageserver';

/** Where a socket backend's token comes from; printed by `mlm serve` when generated. */
export type TokenSource = 'generated' | 'file' | 'env';

export const TOKEN_ENV = 'MLM_SERVE_TOKEN';

/** A fresh random token (32 bytes, base64url: 43 characters). */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** A socket backend's token: from --token-file, else $MLM_SERVE_TOKEN, else a new one (which the caller prints). */
export function socketToken(tokenFile: string | undefined): { token: string; source: TokenSource } {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(tokenFile, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(
        `cannot read the token file ${tokenFile} (${why}): create it with a secret of your choice, ` +
          `e.g. \`openssl rand -base64 32 > ${tokenFile}; chmod 600 ${tokenFile}\``,
      );
    }
    const token = text.trim();
    if (token.length < 16) {
      throw new Error(`the token in ${tokenFile} is too short (${token.length} characters): use at least 16`);
    }
    return { token, source: 'file' };
  }
  const env = process.env[TOKEN_ENV]?.trim();
  if (env) {
    if (env.length < 16)
      throw new Error(`$${TOKEN_ENV} is too short (${env.length} characters): use at least 16`);
    return { token: env, source: 'env' };
  }
  return { token: newToken(), source: 'generated' };
}

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s, 'utf8').digest();

interface Candidate {
  method?: unknown;
  id?: unknown;
  params?: { initializationOptions?: { token?: unknown } } | null;
}

/** Why `m` may not open the connection, or undefined when it carries the right token (which is then removed). */
export function admit(m: Message, token: string): string | undefined {
  const c = m as Candidate;
  if (c.method !== 'initialize') {
    return `the first message must be initialize with the backend's token, got ${typeof c.method === 'string' ? c.method : 'a response'}`;
  }
  const given = c.params?.initializationOptions?.token;
  if (typeof given !== 'string' || given === '') {
    return 'initialize carries no token (initializationOptions.token): enter the token printed by `mlm serve` in MLM: Connect to Remote Backend…';
  }
  if (!crypto.timingSafeEqual(digest(given), digest(token))) {
    return 'wrong token: enter the token printed by `mlm serve` (or the one in its --token-file) in MLM: Connect to Remote Backend…';
  }
  delete c.params!.initializationOptions!.token;
  return undefined;
}

/** A reader that lets messages through only after an admitted `initialize`; `refuse` is told the first bad one. */
export class TokenGateReader extends AbstractMessageReader implements MessageReader {
  private state: 'waiting' | 'open' | 'refused' = 'waiting';

  constructor(
    private readonly inner: MessageReader,
    private readonly token: string,
    private readonly refuse: (m: Message, why: string) => void,
  ) {
    super();
    inner.onError((e) => this.fireError(e));
    inner.onClose(() => this.fireClose());
    inner.onPartialMessage((info) => this.firePartialMessage(info));
  }

  get admitted(): boolean {
    return this.state === 'open';
  }

  listen(callback: DataCallback): Disposable {
    return this.inner.listen((m) => {
      if (this.state === 'open') return callback(m);
      if (this.state === 'refused') return;
      const why = admit(m, this.token);
      if (why) {
        this.state = 'refused';
        this.refuse(m, why);
        return;
      }
      this.state = 'open';
      callback(m);
    });
  }

  override dispose(): void {
    super.dispose();
    this.inner.dispose();
  }
}
