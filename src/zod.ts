// zod for every schema in tagpilot: its tree-shakable build, zod/mini, with English messages.
// Import it as `import * as z from '../zod.js'` (a namespace import, so that the bundle keeps only
// the schema types and checks used). zod/mini's functions build schemas without the dozens of
// methods classic zod binds to every one (`.optional()`, `.min()`…), and its code is a third of
// classic's, so loading the config schema, which every command does, takes ~15 ms less
// (`tagpilot check` 84–104 → 70–77 ms); the checks, issues and messages are zod's own either way.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
