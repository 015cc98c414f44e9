/**
 * The wire form of every cursor the API hands out: a JSON object, base64url-encoded. Each list checks the
 * decoded object's fields itself; this only says whether the text is such an object at all.
 */
export const encodeOpaque = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The object a cursor encodes, or undefined when the text is not one (a forged or mangled cursor). */
export const decodeOpaque = (text: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
