/**
 * The lists' cursor: an opaque token holding the last id of the page (lists
 * go newest first, so the next page is the ids below it). Opaque so that its
 * form can change without breaking callers that pass it back unchanged.
 */
import { z } from "zod";
import { ApiError } from "../errors.js";

const cursorSchema = z.object({ id: z.number().int().min(1) });

export function encodeIdCursor(id: number): string {
  return Buffer.from(JSON.stringify({ id })).toString("base64url");
}

export function decodeIdCursor(text: string): number {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, "base64url").toString("utf8"))).id;
  } catch {
    throw new ApiError(
      "DADOS_INVALIDOS",
      "Cursor inválido: use o valor de nextCursor da página anterior, sem alterá-lo.",
      [{ in: "query", path: "cursor", message: "cursor inválido" }],
    );
  }
}
