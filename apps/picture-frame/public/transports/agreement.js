// Do all four columns get the same ids in the same order? The first column to receive its k-th
// update sets what the k-th id must be; every other column's k-th id is checked against it. Ids
// every column has passed are forgotten, so the check runs in bounded memory while they agree.
export class Agreement {
  #order = [];
  #base = 0;
  #columns = [];
  /** The first disagreement: { column, at, got, want }, or null. */
  mismatch = null;

  add(column) {
    this.#columns.push(column);
  }

  /** `index` is the column's count of updates before this one. */
  check(column, index, id) {
    const i = index - this.#base;
    if (i === this.#order.length) this.#order.push(id);
    else if (this.#order[i] !== id && this.mismatch === null) {
      this.mismatch = { column: column.key, at: index, got: id, want: this.#order[i] };
    }
    const behind = this.common();
    if (behind - this.#base > 1000) {
      this.#order.splice(0, behind - this.#base);
      this.#base = behind;
    }
  }

  /** How many updates every column has received. */
  common() {
    return Math.min(...this.#columns.map((c) => c.received));
  }

  summary() {
    return { ok: this.mismatch === null, common: this.common(), mismatch: this.mismatch };
  }
}
