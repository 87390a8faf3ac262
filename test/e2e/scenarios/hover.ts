// Hovering [MASK] in a plain-text file shows the model's predictions (the model trained by the Train MLM
// scenario); clicking a prediction's link replaces the mask in the document.
import { continuationText } from '../../../protocol/shared/wordpiece';
import type { Scenario } from '../harness/scenario';
import {
  closeAllEditors,
  editorLines,
  hoverWidget,
  hoverUntilShown,
  openFile,
  textOf,
  until,
} from '../harness/workbench';
import { ids } from './ids';

export const hoverFillMask: Scenario = {
  name: 'hover [MASK] shows predictions and a link replaces it',
  async run({ page, shot, note }) {
    await openFile(page, ids.files.mask);
    const line = editorLines(page).first();
    const before = await textOf(line);
    if (!before.includes('[MASK]')) throw new Error(`mask.txt's first line has no [MASK]: ${before}`);

    const hover = hoverWidget(page).filter({ hasText: ids.hover.title });
    await hoverUntilShown(page, '[MASK]', hover, 60_000, 'the fill-mask hover on [MASK]');
    const links = hover.first().locator(ids.hover.replaceLinks);
    await links.first().waitFor({ timeout: 10_000 });
    const tokens = (await links.allInnerTexts()).map((t) => t.trim());
    note(`hover: ${await textOf(hover.first())}`);
    note(`predictions: ${tokens.join(', ')}`);
    if (tokens.length === 0) throw new Error('the hover lists no predictions');
    await shot('hover with predictions');

    // A WordPiece continuation ("##en") joins the word before the mask: it replaces the mask and the spaces
    // before it, without its "##" (server/rpc/maskText.ts replacementFor, protocol/shared/wordpiece.ts).
    const piece = continuationText(tokens[0]);
    await links.first().click();
    const after = await until(
      () => textOf(line),
      (t) => !t.includes('[MASK]'),
      15_000,
      'the [MASK] to be replaced',
    );
    note(`line after replace: ${after}`);
    const expected =
      piece === undefined ? before.replace('[MASK]', tokens[0]) : before.replace(/[ \t]*\[MASK\]/, piece);
    if (after !== expected) throw new Error(`expected "${expected}", got "${after}"`);
    await shot('mask replaced');
    await closeAllEditors(page);
  },
};
