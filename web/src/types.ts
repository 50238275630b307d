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

export type MessageCounts = Record<string, number>;

export interface CampaignSummary {
  id: number;
  mailingId: number | null;
  channel: string;
  status: string;
  audience: number;
  counts: MessageCounts;
}

export interface CampaignDetail extends CampaignSummary {
  waves: {
    index: number;
    plannedAt: string;
    startedAt: string | null;
    size: number;
    counts: MessageCounts;
  }[];
  forecastEnd: string | null;
}

export interface PersonSummary {
  id: number;
  keyKind: string;
  codCliente: string | null;
  document: string | null;
  name: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PersonDetail extends PersonSummary {
  fields: Record<string, unknown>;
  contacts: { kind: string; value: string; createdAt: string }[];
  wallets: { code: string; name: string; joinedAt: string; mailingId: number | null }[];
  tags: { tag: string; createdAt: string }[];
}

export interface Message {
  id: number;
  campaignId: number;
  personId: number;
  channel: string;
  destination: string;
  body: string | null;
  status: string;
  attempts: number;
  error: string | null;
  skipReason: string | null;
  segments: number | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
}
