/** file: URIs ↔ paths without a dependency (LSP sends workspace folders as URIs). */
import { fileURLToPath } from 'node:url';

export const URI = {
  toFsPath(uri: string): string | null {
    try {
      return uri.startsWith('file:') ? fileURLToPath(uri) : null;
    } catch {
      return null;
    }
  },
};
