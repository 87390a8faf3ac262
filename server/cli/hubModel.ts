/**
 * The CLI's side of a model named by Hub id or cache folder (`mlm import --hub`, `--init`): resolved into the
 * Hugging Face cache with a download progress bar on stderr; Ctrl+C cancels (the partial file is kept and the
 * next run resumes it); HubErrors become CliErrors with the Hub's cause and what to do.
 */
import { formatBytes } from '../../protocol/shared/units';
import { HubError, resolveModelSource, type ResolvedModel } from '../ml/hub';
import { CliError } from './command';
import { ProgressBar } from './progress';

export async function resolveModelWithProgress(
  spec: string,
  opts: { cwd: string; revision?: string; quiet?: boolean },
): Promise<ResolvedModel> {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let bar: ProgressBar | undefined;
  try {
    const resolved = await resolveModelSource(spec, {
      cwd: opts.cwd,
      revision: opts.revision,
      signal: controller.signal,
      onLog: (_level, message) => process.stderr.write(`${message}\n`),
      onProgress: (p) => {
        if (opts.quiet) return;
        bar ??= new ProgressBar(`downloading ${p.repoId}`);
        bar.update(
          p.total ? p.received / p.total : undefined,
          `${formatBytes(p.received)} / ${formatBytes(p.total)} ${p.file}`,
        );
      },
    });
    if (resolved.hub?.downloaded?.length) {
      bar?.done(
        `(${resolved.hub.downloaded.length} files, ${formatBytes(resolved.hub.bytesDownloaded ?? 0)})`,
      );
    }
    if (resolved.hub && !opts.quiet) {
      process.stderr.write(`${resolved.hub.repoId} @ ${resolved.hub.commit}: ${resolved.dir}\n`);
    }
    return resolved;
  } catch (err) {
    if (err instanceof HubError) throw new CliError(err.message, err.code === 'InvalidId' ? 2 : 1);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
