/**
 * A fault a family finds among the tensors of a folder (not in one tensor,
 * which `take` reports with its file): the folder reader prefixes the folder.
 */
import { ModelFormatError } from "../model-format-error.js";

export class WeightLayoutError extends ModelFormatError {
  override name = "WeightLayoutError";
}
