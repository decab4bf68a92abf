// The approval gate of a promotion (SPEC §2): an automation with pushBranch + pullRequest proposes
// each promotion for review; a request closed without merging holds its tags back, as a revert would.
import type { Config } from '../config/schema.js';
import { githubAppToken } from '../git/github-app-token.js';
import { InputError } from '../errors.js';
import { readTagpilotCommit } from '../git/commit-message.js';
import { listDeclinedReviews } from '../git/pull-request.js';

/** A tag a reviewer declined for a policy. */
export interface DeclinedTag {
  tag: string;
  automation: string;
  /** The pull/merge request's number (GitLab: iid) and address. */
  review: number;
  url: string;
}

/**
 * The tags of `repository` that reviews of `policy`'s automations declined. The request's title and
 * body are the commit message (run-automation.ts), so its change lines name what it proposed.
 */
export async function declinedPromotions(config: Config, policy: string, repository: string, env: NodeJS.ProcessEnv): Promise<DeclinedTag[]> {
  const reviewed = config.automations.filter((a) => (!a.policies || a.policies.includes(policy)) && a.pullRequest && a.git.pushBranch);
  const found = await Promise.all(
    reviewed.map(async (automation) => {
      const { provider, tokenEnv } = automation.pullRequest!;
      const auth = automation.git.auth;
      const token =
        tokenEnv === undefined && provider === 'github' && auth && 'githubApp' in auth
          ? await githubAppToken(auth.githubApp, automation.git.url, env)
          : tokenEnv === undefined
            ? undefined
            : env[tokenEnv];
      if (!token) throw new InputError(`automation ${automation.name}: pullRequest.tokenEnv ${tokenEnv ?? '(none)'} is not set (needed to see declined promotions)`);
      const spec = { gitUrl: automation.git.url, sourceBranch: automation.git.pushBranch!, targetBranch: automation.git.branch };
      const reviews = await listDeclinedReviews(provider, spec, token, { env });
      return reviews.flatMap((review) => {
        const proposed = readTagpilotCommit(`${review.title}\n\n${review.body}`);
        if (proposed?.automation !== automation.name) return [];
        return proposed.changes
          .filter((c) => c.policy === policy && c.repository === repository && !c.to.startsWith('sha256:'))
          .map((c) => ({ tag: c.to.split('@', 1)[0]!, automation: automation.name, review: review.number, url: review.url }));
      });
    }),
  );
  return found.flat();
}
