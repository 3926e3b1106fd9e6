/** The demo's topics: one score update per tick, and one detail topic per emoji. */
export const SCORES_TOPIC = 'https://tidings.local/emoji/scores';
export const DETAIL_TOPIC_PREFIX = 'https://tidings.local/emoji/detail/';

export function detailTopic(id: string): string {
  return `${DETAIL_TOPIC_PREFIX}${id}`;
}
