import { grants, type Principal } from '../../auth/principal.js';
import { HubError, isHubError } from '../../errors.js';
import type { HubContext } from '../../hub-context.js';
import type { Update } from '../../model/update.js';

/**
 * Where a poll without a cursor starts: the newest update in history, so the next poll gets
 * what comes after now (`earliest` when history is empty). Its id must be one this client may
 * know: a private update it may not read is not disclosed, nor confirmed to exist (issue 10 item
 * 7, docs/security.md); the newest update it may read is the cursor then, found by reading
 * history from the start (bounded by `maxReplay`), or `earliest` when there is none.
 */
export async function currentCursor(ctx: HubContext, principal: Principal | undefined): Promise<string> {
  try {
    const history = ctx.engine.history;
    const last = await history.lastId();
    if (last === undefined) return 'earliest';
    const at = (await history.readAfter(last, 1)).at;
    if (at === undefined || readable(at, principal)) return last;
    let cursor = 'earliest';
    let after = 'earliest';
    let budget = ctx.limits.maxReplay;
    for (;;) {
      const page = await history.readAfter(after, ctx.limits.replayPageSize);
      for (const u of page.updates) if (readable(u, principal)) cursor = u.id;
      const end = page.updates.at(-1);
      budget -= page.updates.length;
      if (!page.more || end === undefined || budget <= 0) return cursor;
      after = end.id;
    }
  } catch (err) {
    throw isHubError(err) ? err : new HubError('store_unavailable');
  }
}

function readable(u: Pick<Update, 'private' | 'topics'>, principal: Principal | undefined): boolean {
  return !u.private || (principal !== undefined && grants(principal.subscribe, u.topics));
}
