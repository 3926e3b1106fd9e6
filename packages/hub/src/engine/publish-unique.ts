import { isHubError } from '../errors.js';
import type { Update, UpdateInit } from '../model/update.js';
import { updateIds } from '../model/update-id.js';
import { createUpdate } from '../stream/update-frame.js';
import type { Engine } from './engine.js';

/**
 * Stores and dispatches an update; resolves with what was published. Mercure "Publication": a
 * client-supplied id SHOULD be unique within the hub, and the hub MAY ignore it and generate its
 * own. When the id is already in history, the update is published under a fresh `urn:uuid:` id
 * instead of being refused, and that id is what the publisher gets back: ids stay unique in
 * history, so a `Last-Event-ID` always names one update (the duplicate-id resolution of
 * "Reconciliation" never has to choose), and a publisher reusing ids loses nothing.
 */
export async function publishUnique(engine: Engine, init: UpdateInit): Promise<Update> {
  const update = createUpdate(init);
  try {
    await engine.publish(update);
    return update;
  } catch (err) {
    if (!isHubError(err) || err.code !== 'duplicate_id') throw err;
  }
  const renamed = createUpdate({ ...init, id: updateIds.next(), generatedId: true });
  await engine.publish(renamed);
  return renamed;
}
