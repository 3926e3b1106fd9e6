/**
 * The first `count` distinct numbers of several ascending sequences, in ascending order: how a
 * filtered history read (store.ts `HistoryFilter`) joins the positions of each asked topic. An
 * update carrying two of the asked topics is in two sequences and comes out once.
 *
 * The sequences are iterated lazily and left as soon as `count` numbers are out, so a page costs
 * what it returns plus one step per sequence, whatever the length of history; a binary heap keeps
 * each step O(log k) for k sequences. Every iterator is closed (`return()`) before this returns,
 * even on a throw: a store's iterator may hold a database cursor.
 */
export function mergeAscending(sources: Iterable<Iterable<number>>, count: number): number[] {
  const out: number[] = [];
  const heap: Head[] = [];
  try {
    for (const source of sources) {
      const it = source[Symbol.iterator]();
      const first = it.next();
      if (first.done) continue;
      heap.push({ value: first.value, it });
      siftUp(heap, heap.length - 1);
    }
    while (out.length < count && heap.length > 0) {
      const top = heap[0]!;
      if (out.length === 0 || top.value > out[out.length - 1]!) out.push(top.value);
      const next = top.it.next();
      if (next.done) {
        const last = heap.pop()!;
        if (heap.length === 0) break;
        heap[0] = last;
      } else {
        top.value = next.value;
      }
      siftDown(heap, 0);
    }
  } finally {
    for (const head of heap) head.it.return?.();
  }
  return out;
}

interface Head {
  value: number;
  readonly it: Iterator<number>;
}

function siftUp(heap: Head[], i: number): void {
  const item = heap[i]!;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.value <= item.value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = item;
}

function siftDown(heap: Head[], i: number): void {
  const item = heap[i]!;
  const n = heap.length;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    const child = right < n && heap[right]!.value < heap[left]!.value ? right : left;
    if (heap[child]!.value >= item.value) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = item;
}
