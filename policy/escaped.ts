// Text for a message, with every character beyond printable ASCII written as `\uXXXX` (UTF-16 units): what a
// look-alike or a decomposed letter really is shows, where printed as itself it would read as something else.
export function escapedBeyondAscii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
