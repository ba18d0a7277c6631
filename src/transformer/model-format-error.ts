/**
 * Raised for any model or tokenizer file that cannot be used: the message
 * names the file, the field or byte offset, and what was expected.
 */
export class ModelFormatError extends Error {
  override name = "ModelFormatError";
}
