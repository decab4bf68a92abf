// The body of GET /v2/<name>/tags/list, checked at the edge (STYLE rule 4).
import * as z from '../zod.js';
import { InputError } from '../errors.js';

/** One page of tags; registries send `"tags": null` for a repository with none. */
export const TagList = z.object({
  name: z.optional(z.string()),
  tags: z.nullish(z.array(z.string())),
});
export type TagList = z.output<typeof TagList>;

/** The tags on one page; throws InputError naming the repository when the body is not a tag list. */
export function parseTagList(body: string, repository: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InputError(`${repository}: tags/list answer is not JSON`);
  }
  const parsed = TagList.safeParse(json);
  if (!parsed.success) throw new InputError(`${repository}: tags/list answer has no list of tags`);
  return parsed.data.tags ?? [];
}
