/**
 * Text from the network as a terminal shows it safely: control characters (an escape sequence that
 * would recolour or clear the screen, a newline that would fake a line of output) as \u escapes.
 * For what the API stores (a site's name) and what any server or proxy on the way says (a message).
 */
export function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
