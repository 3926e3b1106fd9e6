/** Lower-case words of a search term or a name: letters and digits, split on anything else. */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** "cats" finds "cat", "puppies" finds "puppy", "boxes" finds "box". */
export function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(s|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** How many of the query words are among the keywords (singular forms compared). */
export function matchScore(query: readonly string[], keywords: readonly string[]): number {
  const have = new Set<string>();
  for (const k of keywords) for (const w of tokenize(k)) have.add(singular(w));
  let score = 0;
  for (const q of new Set(query.map(singular))) if (have.has(q)) score++;
  return score;
}
