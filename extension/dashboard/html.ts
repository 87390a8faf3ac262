/**
 * The HTML shell of our webviews (the dashboard, the run-config form). Pure (no `vscode`): URIs and the CSP source are passed in as strings.
 * CSP: nothing by default; scripts only with this render's nonce; styles, images and fonts only from the
 * webview's own resource origin (DASHBOARD_MEDIA through asWebviewUri).
 */
import { randomBytes } from 'node:crypto';

/** The one folder (under the extension) the webview loads from: the built dashboard script and styles. */
export const DASHBOARD_MEDIA = ['dist', 'media'] as const;

export interface DashboardHtmlParts {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUris: string[];
  /** Initial EMA smoothing for the charts (mlm.dashboard.smoothing). */
  smoothing: number;
}

/** A fresh nonce for each render: 128 random bits, base64. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

const attr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function dashboardHtml(p: DashboardHtmlParts): string {
  return webviewHtml({
    ...p,
    title: 'MLM Training Dashboard',
    body: { smoothing: String(p.smoothing) },
    loading: 'Loading the dashboard…',
  });
}

/** A webview page of ours: the strict CSP with this render's nonce, the styles, one script, `#app`. */
export interface WebviewHtmlParts {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUris: string[];
  title: string;
  /** `data-*` attributes of <body> (read by the script). */
  body: Record<string, string>;
  /** What `#app` says until the script renders. */
  loading: string;
}

export function webviewHtml(p: WebviewHtmlParts): string {
  const styles = p.styleUris.map((u) => `  <link rel="stylesheet" href="${attr(u)}">`).join('\n');
  const data = Object.entries(p.body)
    .map(([k, v]) => ` data-${k}="${attr(v)}"`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(p.cspSource, p.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
  <title>${attr(p.title)}</title>
</head>
<body${data}>
  <main id="app"><p>${attr(p.loading)}</p></main>
  <script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>`;
}
