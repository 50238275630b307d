/** The API's JSON as the console reads it (see /openapi.json). */
import type { Mailing } from "../../src/filename/types.js";

export type { Mailing };

export interface NameError {
  code: string;
  param: string | null;
  message: string;
}

export interface MailingItem {
  id: number;
  fileName: string;
  folder: string | null;
  sourceId: number | null;
  seenAt: string;
  date: string | null;
  sequence: number | null;
  wallet: string | null;
  description: string | null;
  state: string;
  outcome: "accepted" | "discarded" | null;
  rows: number | null;
  persons: number | null;
  inserted: number | null;
  updated: number | null;
  rejected: number | null;
  lastError: string | null;
}

export interface MailingDetail extends MailingItem {
  path: string;
  movedTo: string | null;
  bytes: number | null;
  parameters: Mailing | null;
  rejectedByCode: Record<string, number>;
  reasons: { code: string; message: string; param?: string | null; scope?: "name" | "content" }[];
  changes: Record<string, number>;
  original: { available: boolean; url: string };
  reports: { kind: string; name: string; url: string }[];
}

export interface SourceItem {
  id: number;
  name: string;
  protocol: string;
  host: string;
  port: number | null;
  user: string;
  root: string;
  hasPassword: boolean;
  enabled: boolean;
  lastError: string | null;
  lastErrorAt: string | null;
  failureCount: number;
  lastSuccessAt: string | null;
  tlsFingerprint: string | null;
}

export interface Wallet {
  id: number;
  code: string;
  name: string | null;
  createdAt: string;
}
