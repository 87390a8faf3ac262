/**
 * Delimited text (CSV per RFC 4180, and TSV) split into records with the line each starts on. A field that
 * starts with `"` is quoted: it may hold the delimiter, newlines and `""` (one quote); a quote inside an unquoted
 * field is an ordinary character (as in pandas and Python's csv module). A record whose quoting is broken — text
 * after a closing quote, or a quote left open at the end of the file — comes back with `error` set, and reading
 * resumes on the next line.
 */

export interface DelimitedRecord {
  /** 1-based line the record starts on. */
  line: number;
  fields: string[];
  /** Why the record cannot be used (broken quoting); fields are then partial. */
  error?: string;
}

/** Splits `text` (newlines LF or CRLF) into records. Blank lines are skipped. */
export function parseDelimited(text: string, delimiter: ',' | '\t'): DelimitedRecord[] {
  const out: DelimitedRecord[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    let field = '';
    let endOfRecord = false;
    // Blank line (or CR LF alone): skip.
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    while (!endOfRecord) {
      if (text[i] === '"') {
        // Quoted field.
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (!closed) {
          error = `a quoted field opened on line ${start} is never closed`;
          fields.push(field);
          out.push({ line: start, fields, error });
          return out;
        }
        // After the closing quote: delimiter, end of line or end of file.
        if (
          i < n &&
          text[i] !== delimiter &&
          text[i] !== '\n' &&
          !(text[i] === '\r' && text[i + 1] === '\n')
        ) {
          error = `text after a closing quote (field ${fields.length + 1}): quote the whole field and double the quotes inside ("")`;
          // Skip to the end of the physical line.
          while (i < n && text[i] !== '\n') i++;
        }
      } else {
        while (i < n && text[i] !== delimiter && text[i] !== '\n') {
          if (text[i] === '\r' && text[i + 1] === '\n') break;
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      field = '';
      if (i >= n) {
        endOfRecord = true;
      } else if (text[i] === delimiter && !error) {
        i++;
        // A trailing delimiter ends the record with an empty last field.
        if (i >= n || text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
          fields.push('');
          endOfRecord = true;
          if (i < n) {
            i += text[i] === '\r' ? 2 : 1;
            line++;
          }
        }
      } else {
        // newline (or an error that skipped to it)
        endOfRecord = true;
        if (i < n) {
          i += text[i] === '\r' ? 2 : 1;
          line++;
        }
      }
    }
    out.push(error ? { line: start, fields, error } : { line: start, fields });
  }
  return out;
}
