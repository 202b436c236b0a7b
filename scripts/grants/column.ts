// One value of a line that `ward` prints for a stored record (a denylist entry, a grant), its columns two spaces
// apart.

/**
 * A value as one column of the line: quoted as JSON when it holds anything but visible ASCII, or a quote or a
 * backslash, which an oidc subject may (`sub`, `subject`, a quarantine's principal key), and an Access group's name
 * or a ticket, so that it cannot read as two columns or as the next one (`repo:x  until lifted`); as it is
 * otherwise. Not white space alone: letters that print blank and are none (U+2800, a Braille blank) would pass
 * for the two spaces between columns (from a review).
 */
export const column = (value: string): string =>
  value === "" || /[^\x21-\x7e]|["\\]/.test(value) ? JSON.stringify(value) : value;
