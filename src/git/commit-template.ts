// `commitMessage` templates (SPEC §4): Handlebars with `automation`, `changes[]` and `images[]`.
// Compiled strictly (unknown helpers and unknown fields are errors) and tried once on sample data,
// so a typo is a config error at load instead of an empty message at three in the morning.
import Handlebars from 'handlebars';
import { InputError } from '../errors.js';
import type { CommitChange, CommitImage } from './commit-message.js';

/** What a template sees. */
export interface CommitTemplateContext {
  automation: string;
  changes: CommitChange[];
  images: CommitImage[];
}

/** A compiled template; `render` throws InputError when the message comes out empty or a field is missing. */
export interface CommitTemplate {
  render(context: CommitTemplateContext): string;
}

// An environment of our own: helpers registered on the global Handlebars elsewhere must not leak in.
const handlebars = Handlebars.create();

const SAMPLE: CommitTemplateContext = {
  automation: 'sample',
  changes: [
    { file: 'apps/a.yaml', policy: 'a', repository: 'ghcr.io/acme/a', from: '1.0.0', to: '1.1.0' },
    { file: 'apps/b.yaml', policy: 'b', repository: 'ghcr.io/acme/b', from: '2.0.0', to: '2.1.0' },
  ],
  images: [
    { repository: 'ghcr.io/acme/a', tag: '1.1.0' },
    { repository: 'ghcr.io/acme/b', tag: '2.1.0' },
  ],
};

/** Compiles and trial-renders `source`; bad templates throw InputError saying what is wrong and where. */
export function compileCommitTemplate(source: string): CommitTemplate {
  let template: HandlebarsTemplateDelegate<CommitTemplateContext>;
  try {
    // noEscape: a commit message is not HTML; `=` or `&` must stay as written.
    template = handlebars.compile<CommitTemplateContext>(source, { strict: true, knownHelpersOnly: true, noEscape: true });
  } catch (err) {
    throw templateError(err);
  }
  const render = (context: CommitTemplateContext): string => {
    let text: string;
    try {
      text = template(context);
    } catch (err) {
      throw templateError(err);
    }
    if (text.trim() === '') throw new InputError('commitMessage: the template rendered an empty message');
    return text;
  };
  render(SAMPLE);
  return { render };
}

/** The template's problem as one line for the config loader, or null when it is fine. */
export function commitTemplateProblem(source: string): string | null {
  try {
    compileCommitTemplate(source);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function templateError(err: unknown): InputError {
  const message = (err as Error).message.replace(/\s*\n\s*/g, ' ');
  return new InputError(`commitMessage: invalid template: ${message}`, { cause: err });
}
