/**
 * Values shown in the audit trail in part only: enough for a DPO to match an
 * event to a request ("the CPF ending in 89"), not a copy of the person's data
 * in a table kept for years.
 */
import type { RestrictionKind } from "../store/restrictions.js";

export function maskValue(kind: RestrictionKind, value: string): string {
  if (kind === "email") {
    const at = value.lastIndexOf("@");
    if (at <= 0) return "***";
    return `${value[0]}***${value.slice(at)}`;
  }
  // Phones and documents: the last 4 characters.
  if (value.length <= 4) return "*".repeat(value.length);
  return `${"*".repeat(value.length - 4)}${value.slice(-4)}`;
}
