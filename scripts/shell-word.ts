// A word for a command the CLI prints for the operator to run next (wrangler's, its own): pasted into a shell,
// it is one word whatever it holds, never more commands.

/** `text` as one shell word: as it is when nothing in it is special to a shell, else single-quoted. */
export const shellWord = (text: string): string =>
  /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
