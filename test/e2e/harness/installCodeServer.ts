// Child entry run under `flock <cache>/install.lock` by provision.ts: installs code-server once.
import { Log } from './log';
import { installUnderLock } from './provision';

process.exitCode = installUnderLock(new Log(process.env.MLM_E2E_PROVISION_LOG ?? '/dev/null'));
