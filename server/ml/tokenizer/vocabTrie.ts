/** A prefix tree over code points mapping vocabulary pieces to ids, for allocation-free longest-match lookups. */
export class VocabTrie {
  private readonly children: Array<Map<number, number> | undefined> = [undefined];
  private readonly ids: number[] = [-1];

  /** Inserts the code points of `piece` (non-empty); a later insert of the same piece replaces the id. */
  insert(piece: string, id: number): void {
    let node = 0;
    for (const ch of piece) {
      const cp = ch.codePointAt(0)!;
      let kids = this.children[node];
      if (!kids) kids = this.children[node] = new Map();
      let next = kids.get(cp);
      if (next === undefined) {
        next = this.ids.length;
        this.ids.push(-1);
        this.children.push(undefined);
        kids.set(cp, next);
      }
      node = next;
    }
    if (node !== 0) this.ids[node] = id;
  }

  /**
   * Longest piece matching cps[from, to): returns its end index (exclusive) and writes its id to out[0];
   * returns -1 when no piece starts there.
   */
  longestMatch(cps: Int32Array, from: number, to: number, out: Int32Array): number {
    let node = 0;
    let bestEnd = -1;
    for (let k = from; k < to; k++) {
      const kids = this.children[node];
      if (kids === undefined) break;
      const next = kids.get(cps[k]);
      if (next === undefined) break;
      node = next;
      const id = this.ids[node];
      if (id >= 0) {
        bestEnd = k + 1;
        out[0] = id;
      }
    }
    return bestEnd;
  }
}
