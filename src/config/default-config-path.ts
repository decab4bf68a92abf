// Its own module, so that the command line can name the default without loading the config parser.

/** The config a command reads when neither --config nor TAGPILOT_CONFIG names one. */
export const DEFAULT_CONFIG_PATH = 'config/tagpilot.yaml';
