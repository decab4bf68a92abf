// Builds PushEvents the same way in every source, so an empty tag never reads as a tag.
import type { PushEvent } from './webhook-source.js';

/** A PushEvent for `repository`, with `tag` only when the payload named a non-empty one. */
export function pushEvent(repository: string, tag?: string | null): PushEvent {
  return tag ? { repository, tag } : { repository };
}
