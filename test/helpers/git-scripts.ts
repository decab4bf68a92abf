// Shell scripts that commit straight into a bare repository, shared by the git server's own methods and
// by pre-receive hooks that tests install (a hook cannot call back into node, but it can run these).
import { randomBytes } from 'node:crypto';

export interface GitIdentity {
  name: string;
  email: string;
  /** A git date ("2024-01-01T00:00:00Z"); now when absent. */
  date?: string;
}

export interface CommitScriptOptions {
  branch: string;
  /** Path -> new content; null deletes the path. Paths are relative to the repository root. */
  files: Record<string, string | null>;
  message: string;
  author: GitIdentity;
}

/** Quotes one word for POSIX sh: everything inside single quotes is literal, even newlines. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const ZERO_SHA = '0000000000000000000000000000000000000000';

/**
 * A script that, run with the bare repository as working directory, adds one commit on `branch` and
 * prints its sha. Plumbing with a private index instead of a clone: no work tree to clean up, no
 * receive hooks run (so a test's rejecting hook does not stop it), and `update-ref` compares the old
 * value, so a concurrent push makes it fail instead of being overwritten.
 */
export function commitScript(options: CommitScriptOptions): string {
  const { branch, files, author } = options;
  const message = options.message.endsWith('\n') ? options.message : `${options.message}\n`;
  const lines = [
    'set -eu',
    // Inside a pre-receive hook git quarantines new objects and forbids ref updates; this commit is
    // meant to land for real, as if another client had pushed it first.
    'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_INDEX_FILE',
    'export GIT_DIR=.',
    'scratch=$(mktemp -d)',
    'trap \'rm -rf "$scratch"\' EXIT',
    'export GIT_INDEX_FILE="$scratch/index"',
    `export GIT_AUTHOR_NAME=${shellQuote(author.name)} GIT_AUTHOR_EMAIL=${shellQuote(author.email)}`,
    `export GIT_COMMITTER_NAME=${shellQuote(author.name)} GIT_COMMITTER_EMAIL=${shellQuote(author.email)}`,
    ...(author.date ? [`export GIT_AUTHOR_DATE=${shellQuote(author.date)} GIT_COMMITTER_DATE=${shellQuote(author.date)}`] : []),
    `ref=${shellQuote(`refs/heads/${branch}`)}`,
    'old=$(git rev-parse -q --verify "$ref^{commit}" || true)',
    'if [ -n "$old" ]; then git read-tree "$old"; else git read-tree --empty; fi',
  ];
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      // --index-info with mode 0 drops the entry; --force-remove would demand a work tree.
      lines.push(`printf '0 %s\\t%s\\n' ${ZERO_SHA} ${shellQuote(path)} | git update-index --index-info`);
    } else {
      lines.push(`blob=$(printf '%s' ${shellQuote(content)} | git hash-object -w --stdin)`);
      lines.push(`git update-index --add --cacheinfo "100644,$blob,"${shellQuote(path)}`);
    }
  }
  lines.push(
    'tree=$(git write-tree)',
    `if [ -n "$old" ]; then parent="-p $old"; else parent=""; fi`,
    `new=$(printf '%s' ${shellQuote(message)} | git commit-tree "$tree" $parent -F -)`,
    `git update-ref -m ${shellQuote('commit outside the test server')} "$ref" "$new" "\${old:-${ZERO_SHA}}"`,
    'echo "$new"',
  );
  return `${lines.join('\n')}\n`;
}

/** A pre-receive hook that refuses every push with `message` (shown to the client as "remote: ..."). */
export function rejectingHook(message = 'push rejected by test hook'): string {
  return `#!/bin/sh\ncat >/dev/null\nprintf '%s\\n' ${shellQuote(message)} >&2\nexit 1\n`;
}

/**
 * A pre-receive hook that, the first time it runs, commits as a human on `branch` and then rejects
 * the push: the pusher's next fetch sees a commit that landed "between" its fetch and its push.
 * Later pushes pass. Each call makes a new marker name, so installing it again re-arms it.
 */
export function humanCommitThenRejectHook(options: CommitScriptOptions & { rejectMessage?: string }): string {
  const marker = `tagpilot-hook-fired-${randomBytes(6).toString('hex')}`;
  const reject = options.rejectMessage ?? 'rejected: someone pushed first';
  return [
    '#!/bin/sh',
    'cat >/dev/null',
    `if [ -e ${marker} ]; then exit 0; fi`,
    `touch ${marker}`,
    // A subshell keeps the commit script's `set -eu` and exports away from the rejection below.
    // Not indented: the script holds file contents in multi-line quoted strings.
    `(\n${commitScript(options)}) >/dev/null || exit 2`,
    `printf '%s\\n' ${shellQuote(reject)} >&2`,
    'exit 1',
    '',
  ].join('\n');
}
