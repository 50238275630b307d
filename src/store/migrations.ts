/**
 * The one migration set for both databases. Migrations are code (not files on
 * disk) so the CLI works from any directory and from a build; the few dialect
 * differences (id columns, integer widths) go through the helpers below.
 * Never edit a released migration: add a new one at the end of the list.
 */
import {
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type DatabaseIntrospector,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  sql,
} from "kysely";
import type { Dialect } from "./db.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the untyped schema of their time.
type AnyDb = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: migrations build tables whose columns are not typed yet.
type Table = CreateTableBuilder<any, any>;

/** Column helpers that hide the dialect's spelling. */
function columns(dialect: Dialect) {
  const pg = dialect === "postgres";
  const bigint = pg ? "bigint" : "integer";
  return {
    /** Auto-assigned integer primary key. */
    id: (t: Table): Table =>
      pg
        ? t.addColumn("id", "bigserial", (c) => c.primaryKey())
        : t.addColumn("id", "integer", (c) => c.primaryKey()),
    /** A reference to another table's id (or a large count). */
    big: bigint as "bigint",
    real: (pg ? "double precision" : "real") as "real",
  };
}

const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

function initial(dialect: Dialect): Migration {
  const { id, big, real } = columns(dialect);
  return {
    async up(db: AnyDb) {
      const tenantRef = (t: Table): Table =>
        t.addColumn("tenant_id", big, (c) =>
          c.notNull().references("tenants.id").onDelete("cascade"),
        );
      // High-volume tables carry tenant_id without a foreign key: the row's
      // parent (person, mailing, campaign) already belongs to the tenant, and
      // a per-row check would slow the bulk import for no extra safety.
      // The import's link tables (person_channels, wallet_members,
      // person_tags, mailing_persons, mailing_rejections) have no foreign keys
      // at all: on PostgreSQL each one is a per-row trigger that tripled the
      // import time. Their rows are only written by the import (which takes
      // the ids from the rows it just upserted) and deleted by the
      // repositories (see removeWallet), inside transactions.
      const tenantCol = (t: Table): Table => t.addColumn("tenant_id", big, notNull);
      // SQLite: link tables keyed by their primary key are stored in that key's
      // B-tree (no separate rowid table), halving the work per imported row.
      const clustered = (t: Table): Table =>
        dialect === "sqlite" ? t.modifyEnd(sql`without rowid`) : t;

      await db.schema
        .createTable("tenants")
        .$call(id)
        .addColumn("name", "text", notNull)
        .addColumn("time_zone", "text", (c) => c.notNull().defaultTo("America/Sao_Paulo"))
        .addColumn("reject_ratio", real, (c) => c.notNull().defaultTo(0.5))
        .addColumn("locale", "text", (c) => c.notNull().defaultTo("pt-BR"))
        .addColumn("created_at", "text", notNull)
        .execute();

      await db.schema
        .createTable("wallets")
        .$call(id)
        .$call(tenantRef)
        .addColumn("code", "text", notNull)
        .addColumn("name", "text", notNull)
        .addColumn("created_at", "text", notNull)
        .addUniqueConstraint("wallets_tenant_code", ["tenant_id", "code"])
        .execute();

      await db.schema
        .createTable("persons")
        .$call(id)
        .$call(tenantCol)
        .addColumn("key_kind", "text", notNull)
        .addColumn("key", "text", notNull)
        .addColumn("cod_cliente", "text")
        .addColumn("document", "text")
        .addColumn("name", "text")
        .addColumn("fields_json", "text", (c) => c.notNull().defaultTo("{}"))
        .addColumn("created_mailing_id", big)
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .addUniqueConstraint("persons_tenant_key", ["tenant_id", "key_kind", "key"])
        .execute();

      await db.schema
        .createTable("person_channels")
        .$call(tenantCol)
        .addColumn("person_id", big, notNull)
        .addColumn("kind", "text", notNull)
        .addColumn("value", "text", notNull)
        .addColumn("created_at", "text", notNull)
        .addPrimaryKeyConstraint("person_channels_pk", ["person_id", "value"])
        .$call(clustered)
        .execute();
      await db.schema
        .createIndex("person_channels_tenant_value")
        .on("person_channels")
        .columns(["tenant_id", "value"])
        .execute();

      await db.schema
        .createTable("wallet_members")
        .$call(tenantCol)
        .addColumn("wallet_id", big, notNull)
        .addColumn("person_id", big, notNull)
        .addColumn("mailing_id", big)
        .addColumn("joined_at", "text", notNull)
        .addPrimaryKeyConstraint("wallet_members_pk", ["wallet_id", "person_id"])
        .$call(clustered)
        .execute();
      await db.schema
        .createIndex("wallet_members_person")
        .on("wallet_members")
        .column("person_id")
        .execute();

      await db.schema
        .createTable("person_tags")
        .$call(tenantCol)
        .addColumn("person_id", big, notNull)
        .addColumn("tag", "text", notNull)
        .addColumn("created_at", "text", notNull)
        .addPrimaryKeyConstraint("person_tags_pk", ["person_id", "tag"])
        .$call(clustered)
        .execute();

      await db.schema
        .createTable("restrictions")
        .$call(id)
        .$call(tenantRef)
        .addColumn("wallet_id", big, (c) =>
          c.notNull().references("wallets.id").onDelete("cascade"),
        )
        .addColumn("channel_kind", "text", notNull)
        .addColumn("value", "text", notNull)
        .addColumn("reason", "text")
        .addColumn("created_at", "text", notNull)
        .addUniqueConstraint("restrictions_unique", [
          "tenant_id",
          "wallet_id",
          "channel_kind",
          "value",
        ])
        .execute();

      await db.schema
        .createTable("file_sources")
        .$call(id)
        .$call(tenantRef)
        .addColumn("name", "text", notNull)
        .addColumn("protocol", "text", notNull)
        .addColumn("host", "text", notNull)
        .addColumn("port", "integer")
        .addColumn("username", "text", notNull)
        .addColumn("password_enc", "text", notNull)
        .addColumn("root", "text", (c) => c.notNull().defaultTo("/"))
        .addColumn("interval_seconds", "integer", (c) => c.notNull().defaultTo(30))
        .addColumn("stability_seconds", "integer", (c) => c.notNull().defaultTo(10))
        .addColumn("allow_private", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("tls_fingerprint", "text")
        .addColumn("tls_insecure", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("last_error", "text")
        .addColumn("last_error_at", "text")
        .addColumn("failure_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_poll_at", "text")
        .addColumn("last_poll_at", "text")
        .addColumn("last_success_at", "text")
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", "text")
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .addUniqueConstraint("file_sources_tenant_name", ["tenant_id", "name"])
        .execute();
      await db.schema
        .createIndex("file_sources_next_poll")
        .on("file_sources")
        .columns(["enabled", "next_poll_at"])
        .execute();

      await db.schema
        .createTable("mailings")
        .$call(id)
        .$call(tenantRef)
        .addColumn("source_id", big, (c) => c.references("file_sources.id").onDelete("set null"))
        .addColumn("folder", "text")
        .addColumn("file_name", "text", notNull)
        .addColumn("path", "text", notNull)
        .addColumn("first_seen_at", "text", notNull)
        .addColumn("seen_date", "text", notNull)
        .addColumn("size_seen", big)
        .addColumn("modified_at_seen", "text")
        .addColumn("date", "text")
        .addColumn("sequence", "integer")
        .addColumn("description", "text")
        .addColumn("wallet_id", big, (c) => c.references("wallets.id").onDelete("set null"))
        .addColumn("parsed_json", "text")
        .addColumn("sha256", "text")
        .addColumn("bytes", big)
        .addColumn("rows", big)
        .addColumn("persons", big)
        .addColumn("inserted", big)
        .addColumn("updated", big)
        .addColumn("rejected", big)
        .addColumn("rejected_json", "text")
        .addColumn("state", "text", notNull)
        .addColumn("outcome", "text")
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", "text")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("timings_json", "text")
        .addColumn("errors_json", "text")
        .addColumn("stored_path", "text")
        .addColumn("moved_to", "text")
        .addColumn("reports_json", "text")
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .execute();
      // SPEC §3: at most one accepted file per tenant per date per sequence;
      // discarded files do not consume their sequence.
      await db.schema
        .createIndex("mailings_accepted_sequence")
        .on("mailings")
        .columns(["tenant_id", "date", "sequence"])
        .unique()
        .where(sql.ref("outcome"), "=", "accepted")
        .execute();
      await db.schema
        .createIndex("mailings_tenant_state")
        .on("mailings")
        .columns(["tenant_id", "state"])
        .execute();
      await db.schema
        .createIndex("mailings_source_path")
        .on("mailings")
        .columns(["source_id", "path"])
        .execute();

      await db.schema
        .createTable("mailing_persons")
        .$call(tenantCol)
        .addColumn("mailing_id", big, notNull)
        .addColumn("person_id", big, notNull)
        .addColumn("first_line", big, notNull)
        .addColumn("message", "text")
        .addColumn("channels_json", "text", (c) => c.notNull().defaultTo("[]"))
        .addPrimaryKeyConstraint("mailing_persons_pk", ["mailing_id", "person_id"])
        .$call(clustered)
        .execute();

      await db.schema
        .createTable("mailing_rejections")
        .$call(id)
        .$call(tenantCol)
        .addColumn("mailing_id", big, notNull)
        .addColumn("line", big, notNull)
        .addColumn("code", "text", notNull)
        .addColumn("message", "text", notNull)
        .addColumn("raw", "text", notNull)
        .execute();
      await db.schema
        .createIndex("mailing_rejections_mailing")
        .on("mailing_rejections")
        .columns(["mailing_id", "line"])
        .execute();

      await db.schema
        .createTable("senders")
        .$call(id)
        .$call(tenantRef)
        .addColumn("kind", "text", notNull)
        .addColumn("mode", "text", notNull)
        .addColumn("name", "text", notNull)
        .addColumn("number", "text", notNull)
        .addColumn("phone_number_id", "text")
        .addColumn("token_enc", "text")
        .addColumn("wallet_id", big, (c) => c.references("wallets.id").onDelete("set null"))
        .addColumn("settings_json", "text")
        .addColumn("rate_per_second", real)
        .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .addUniqueConstraint("senders_tenant_number", ["tenant_id", "kind", "number"])
        .execute();

      await db.schema
        .createTable("templates")
        .$call(id)
        .$call(tenantRef)
        .addColumn("name", "text", notNull)
        .addColumn("language", "text", (c) => c.notNull().defaultTo("pt_BR"))
        .addColumn("wallet_id", big, (c) => c.references("wallets.id").onDelete("set null"))
        .addColumn("is_default", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("params_json", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("body", "text")
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .execute();
      await db.schema
        .createIndex("templates_tenant_name")
        .on("templates")
        .columns(["tenant_id", "name"])
        .execute();

      await db.schema
        .createTable("email_accounts")
        .$call(id)
        .$call(tenantRef)
        .addColumn("address", "text", notNull)
        .addColumn("display_name", "text")
        .addColumn("host", "text", notNull)
        .addColumn("port", "integer", notNull)
        .addColumn("security", "text", (c) => c.notNull().defaultTo("starttls"))
        .addColumn("username", "text")
        .addColumn("password_enc", "text")
        .addColumn("wallet_id", big, (c) => c.references("wallets.id").onDelete("set null"))
        .addColumn("active", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("is_platform_default", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("rate_per_second", real)
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .addUniqueConstraint("email_accounts_tenant_address", ["tenant_id", "address"])
        .execute();

      await db.schema
        .createTable("campaigns")
        .$call(id)
        .$call(tenantRef)
        .addColumn("mailing_id", big, (c) => c.references("mailings.id").onDelete("set null"))
        .addColumn("wallet_id", big, (c) => c.references("wallets.id").onDelete("set null"))
        .addColumn("channel", "text", notNull)
        .addColumn("mode", "text")
        .addColumn("sender_id", big, (c) => c.references("senders.id").onDelete("set null"))
        .addColumn("template_id", big, (c) => c.references("templates.id").onDelete("set null"))
        .addColumn("email_account_id", big, (c) =>
          c.references("email_accounts.id").onDelete("set null"),
        )
        .addColumn("subject", "text")
        .addColumn("name", "text", notNull)
        .addColumn("start_at", "text", notNull)
        .addColumn("deadline_at", "text")
        .addColumn("split_percent", "integer")
        .addColumn("split_every_minutes", "integer")
        .addColumn("exclude_recent_hours", "integer")
        .addColumn("state", "text", notNull)
        .addColumn("audience", big, (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .execute();
      await db.schema
        .createIndex("campaigns_tenant_state")
        .on("campaigns")
        .columns(["tenant_id", "state"])
        .execute();

      await db.schema
        .createTable("waves")
        .$call(id)
        .$call(tenantCol)
        .addColumn("campaign_id", big, (c) =>
          c.notNull().references("campaigns.id").onDelete("cascade"),
        )
        .addColumn("number", "integer", notNull)
        .addColumn("start_at", "text", notNull)
        .addColumn("size", big, notNull)
        .addColumn("state", "text", notNull)
        .addColumn("created_at", "text", notNull)
        .addUniqueConstraint("waves_campaign_number", ["campaign_id", "number"])
        .execute();

      await db.schema
        .createTable("messages")
        .$call(id)
        .$call(tenantCol)
        .addColumn("campaign_id", big, (c) =>
          c.notNull().references("campaigns.id").onDelete("cascade"),
        )
        .addColumn("wave_id", big, (c) => c.references("waves.id").onDelete("set null"))
        .addColumn("person_id", big, (c) =>
          c.notNull().references("persons.id").onDelete("cascade"),
        )
        .addColumn("channel_kind", "text", notNull)
        .addColumn("address", "text", notNull)
        .addColumn("body", "text")
        .addColumn("state", "text", notNull)
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("provider_id", "text")
        .addColumn("error", "text")
        .addColumn("skip_reason", "text")
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", "text")
        .addColumn("next_attempt_at", "text")
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .addColumn("sending_at", "text")
        .addColumn("sent_at", "text")
        .addColumn("delivered_at", "text")
        .addColumn("read_at", "text")
        .addColumn("failed_at", "text")
        .addColumn("skipped_at", "text")
        .addColumn("expired_at", "text")
        .addUniqueConstraint("messages_campaign_person", ["campaign_id", "person_id"])
        .execute();
      await db.schema
        .createIndex("messages_due")
        .on("messages")
        .columns(["campaign_id", "state", "next_attempt_at"])
        .execute();
      await db.schema
        .createIndex("messages_provider")
        .on("messages")
        .columns(["tenant_id", "provider_id"])
        .execute();

      await db.schema
        .createTable("inbound_interactions")
        .$call(id)
        .$call(tenantRef)
        .addColumn("channel", "text", notNull)
        .addColumn("address", "text", notNull)
        .addColumn("person_id", big, (c) => c.references("persons.id").onDelete("set null"))
        .addColumn("sender_id", big, (c) => c.references("senders.id").onDelete("set null"))
        .addColumn("provider_id", "text")
        .addColumn("body", "text")
        .addColumn("received_at", "text", notNull)
        .addUniqueConstraint("inbound_provider", ["tenant_id", "channel", "provider_id"])
        .execute();
      await db.schema
        .createIndex("inbound_address_time")
        .on("inbound_interactions")
        .columns(["tenant_id", "address", "received_at"])
        .execute();

      await db.schema
        .createTable("delivery_events")
        .$call(id)
        .$call(tenantRef)
        .addColumn("provider_id", "text", notNull)
        .addColumn("status", "text", notNull)
        .addColumn("message_id", big, (c) => c.references("messages.id").onDelete("set null"))
        .addColumn("received_at", "text", notNull)
        .addUniqueConstraint("delivery_events_unique", ["tenant_id", "provider_id", "status"])
        .execute();

      await db.schema
        .createTable("outbox")
        .$call(id)
        .$call(tenantRef)
        .addColumn("message_id", big, (c) => c.references("messages.id").onDelete("set null"))
        .addColumn("channel", "text", notNull)
        .addColumn("address", "text", notNull)
        .addColumn("payload_json", "text", notNull)
        .addColumn("created_at", "text", notNull)
        .execute();
      await db.schema
        .createIndex("outbox_tenant_time")
        .on("outbox")
        .columns(["tenant_id", "created_at"])
        .execute();

      await db.schema
        .createTable("api_keys")
        .$call(id)
        .$call(tenantRef)
        .addColumn("name", "text", notNull)
        .addColumn("prefix", "text", notNull)
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", notNull)
        .addColumn("last_used_at", "text")
        .addColumn("revoked_at", "text")
        .execute();

      await db.schema
        .createTable("audit_events")
        .$call(id)
        .$call(tenantRef)
        .addColumn("at", "text", notNull)
        .addColumn("actor", "text", notNull)
        .addColumn("action", "text", notNull)
        .addColumn("subject", "text")
        .addColumn("details_json", "text")
        .execute();
      await db.schema
        .createIndex("audit_events_tenant_time")
        .on("audit_events")
        .columns(["tenant_id", "at"])
        .execute();

      // The embedded default has one tenant; it always exists with id 1.
      await db
        .insertInto("tenants")
        .values({
          id: 1,
          name: "padrão",
          time_zone: "America/Sao_Paulo",
          reject_ratio: 0.5,
          locale: "pt-BR",
          created_at: new Date().toISOString(),
        })
        .execute();
      if (dialect === "postgres") {
        await sql`select setval(pg_get_serial_sequence('tenants', 'id'), (select max(id) from tenants))`.execute(
          db,
        );
      }
    },
    async down(db: AnyDb) {
      const tables = [
        "audit_events",
        "api_keys",
        "outbox",
        "delivery_events",
        "inbound_interactions",
        "messages",
        "waves",
        "campaigns",
        "email_accounts",
        "templates",
        "senders",
        "mailing_rejections",
        "mailing_persons",
        "mailings",
        "file_sources",
        "restrictions",
        "person_tags",
        "wallet_members",
        "person_channels",
        "persons",
        "wallets",
        "tenants",
      ];
      for (const t of tables) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}

/**
 * The ingest pipeline's last operational problem with a file (e.g. it could
 * not be moved for lack of permission), shown in the console while it retries.
 */
function mailingLastError(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("mailings").addColumn("last_error", "text").execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable("mailings").dropColumn("last_error").execute();
    },
  };
}

/**
 * Keys, contact values and tags compared byte by byte on PostgreSQL (COLLATE
 * "C"), as SQLite's default BINARY collation already does: the same order on
 * both databases, and the unique indexes a bulk import maintains (and the
 * contact-value index it rebuilds) no longer go through the locale's strcoll
 * for every comparison (1M-row import into an empty base ~10% faster). Equality
 * is unchanged: PostgreSQL's collations here are deterministic, so two values
 * were equal only when their bytes were.
 */
function byteOrderKeys(dialect: Dialect): Migration {
  const columnsByTable = {
    persons: ["key_kind", "key"],
    person_channels: ["value"],
    person_tags: ["tag"],
  } as const;
  return {
    async up(db: AnyDb) {
      if (dialect !== "postgres") return;
      for (const [table, cols] of Object.entries(columnsByTable)) {
        const changes = cols.map((c) => `ALTER COLUMN ${c} TYPE text COLLATE "C"`).join(", ");
        await sql.raw(`ALTER TABLE ${table} ${changes}`).execute(db);
      }
    },
    async down(db: AnyDb) {
      if (dialect !== "postgres") return;
      for (const [table, cols] of Object.entries(columnsByTable)) {
        const changes = cols.map((c) => `ALTER COLUMN ${c} TYPE text COLLATE "default"`).join(", ");
        await sql.raw(`ALTER TABLE ${table} ${changes}`).execute(db);
      }
    },
  };
}

/**
 * What the report of an import needs beyond the rejections: the zip entry a
 * rejected row comes from (null for a plain file), so the `arquivo` column of
 * `.rejeitados.csv` can name it (line numbers count within each entry); and
 * the counts the `.resultado.txt` shows beyond the rejections
 * (`mailings.changes_json`: 9th digits added by `_h`, contacts dropped from
 * kept rows).
 */
function reportDetails(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("mailing_rejections").addColumn("entry", "text").execute();
      await db.schema.alterTable("mailings").addColumn("changes_json", "text").execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable("mailings").dropColumn("changes_json").execute();
      await db.schema.alterTable("mailing_rejections").dropColumn("entry").execute();
    },
  };
}

/**
 * The campaign engine (SPEC §7): what planning, dispatch and the return file
 * need beyond the initial tables.
 * - campaigns: people left out of the audience by reason (`excluded_json`:
 *   {"SEM_CONTATO": n, "RESTRITO": m}), the forecast made at planning
 *   (`forecast_end`, `forecast_late`: messages predicted to miss `_LE`), when
 *   the campaign ended and when its `.retorno.csv` was written (and where).
 * - waves: when each actually started (lateness against `start_at`).
 * - messages: the segments a message was billed as (SMS), and the mailing's
 *   `[COLUMN]` text is kept in `body` until it is rendered at send time.
 * - mailings: the content's encoding and delimiter, so the return file is
 *   written the way the customer's own file was.
 * - wallets: the optional send window ({"days":[1,2,3,4,5,6],"from":"08:00","to":"20:00"}).
 * - senders and e-mail accounts: which provider sends for them ("outbox" is
 *   the embedded default; the real channels add theirs).
 * - rate_buckets: one row per rate-limited sender, shared by every dispatch
 *   worker (a GCRA "theoretical arrival time" in epoch ms), so a cap holds
 *   across processes.
 * On PostgreSQL the per-row foreign-key triggers on `messages` are dropped:
 * planning writes a million messages in one INSERT … SELECT, and each trigger
 * is a lookup per row (the import's link tables have none for the same reason).
 * Messages are only written by the planner (ids taken from rows it reads in
 * the same transaction) and removed with their campaign by the repositories.
 */
function campaignEngine(dialect: Dialect): Migration {
  const { big } = columns(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("campaigns").addColumn("excluded_json", "text").execute();
      await db.schema.alterTable("campaigns").addColumn("forecast_end", "text").execute();
      await db.schema
        .alterTable("campaigns")
        .addColumn("forecast_late", big, (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable("campaigns").addColumn("ended_at", "text").execute();
      await db.schema.alterTable("campaigns").addColumn("return_written_at", "text").execute();
      await db.schema.alterTable("campaigns").addColumn("return_path", "text").execute();
      await db.schema.alterTable("messages").addColumn("segments", "integer").execute();
      await db.schema.alterTable("waves").addColumn("started_at", "text").execute();
      await db.schema.alterTable("mailings").addColumn("encoding", "text").execute();
      await db.schema.alterTable("mailings").addColumn("delimiter", "text").execute();
      await db.schema.alterTable("wallets").addColumn("send_window_json", "text").execute();
      await db.schema
        .alterTable("senders")
        .addColumn("provider", "text", (c) => c.notNull().defaultTo("outbox"))
        .execute();
      await db.schema
        .alterTable("email_accounts")
        .addColumn("provider", "text", (c) => c.notNull().defaultTo("outbox"))
        .execute();
      await db.schema
        .createTable("rate_buckets")
        .addColumn("tenant_id", big, notNull)
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("tat_ms", big, (c) => c.notNull().defaultTo(0))
        .execute();
      if (dialect === "postgres") {
        for (const fk of [
          "messages_campaign_id_fkey",
          "messages_wave_id_fkey",
          "messages_person_id_fkey",
        ]) {
          await sql.raw(`ALTER TABLE messages DROP CONSTRAINT IF EXISTS ${fk}`).execute(db);
        }
      }
    },
    async down(db: AnyDb) {
      await db.schema.dropTable("rate_buckets").execute();
      await db.schema.alterTable("email_accounts").dropColumn("provider").execute();
      await db.schema.alterTable("senders").dropColumn("provider").execute();
      await db.schema.alterTable("wallets").dropColumn("send_window_json").execute();
      await db.schema.alterTable("mailings").dropColumn("delimiter").execute();
      await db.schema.alterTable("mailings").dropColumn("encoding").execute();
      await db.schema.alterTable("waves").dropColumn("started_at").execute();
      await db.schema.alterTable("messages").dropColumn("segments").execute();
      for (const c of [
        "return_path",
        "return_written_at",
        "ended_at",
        "forecast_late",
        "forecast_end",
        "excluded_json",
      ]) {
        await db.schema.alterTable("campaigns").dropColumn(c).execute();
      }
    },
  };
}

/**
 * The return file's bookkeeping on campaigns (src/campaigns/return-files.ts):
 * the lease of the worker writing a mailing's `.retorno.csv` (held on the
 * mailing's lowest-id campaign, so two workers never write it at once), how
 * many attempts were made and the last error (an unreachable source is
 * retried with back-off: the lease then expires at the retry time).
 */
function returnFile(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("campaigns").addColumn("return_lease_owner", "text").execute();
      await db.schema
        .alterTable("campaigns")
        .addColumn("return_lease_expires_at", "text")
        .execute();
      await db.schema
        .alterTable("campaigns")
        .addColumn("return_attempts", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable("campaigns").addColumn("return_error", "text").execute();
      // The return-file service looks for campaigns without a file every few seconds.
      await db.schema
        .createIndex("campaigns_return_due")
        .on("campaigns")
        .columns(["return_written_at", "mailing_id"])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex("campaigns_return_due").execute();
      for (const c of [
        "return_error",
        "return_attempts",
        "return_lease_expires_at",
        "return_lease_owner",
      ]) {
        await db.schema.alterTable("campaigns").dropColumn(c).execute();
      }
    },
  };
}

/**
 * The HTTP API: each API key is read-only ("read") or read-write ("write").
 * Keys created before this migration keep working as read-write; new keys
 * are read-only unless asked otherwise (see store/api-keys.ts). Keys are
 * looked up by their hash (already unique); listing a tenant's keys uses
 * the tenant index.
 */
function apiKeys(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .alterTable("api_keys")
        .addColumn("scope", "text", (c) => c.notNull().defaultTo("write"))
        .execute();
      await db.schema.createIndex("api_keys_tenant").on("api_keys").column("tenant_id").execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex("api_keys_tenant").execute();
      await db.schema.alterTable("api_keys").dropColumn("scope").execute();
    },
  };
}

/**
 * Campaign planning writes a million pending messages in one INSERT … SELECT;
 * every one had an entry in `messages_provider` (tenant_id, provider_id) with
 * a null provider id, which only the delivery receipts look up, by a provider
 * id that is set. The index now holds only messages that have one: the
 * lookups (`provider_id = ?` implies it is not null) use it the same way, and
 * planning skips one index insert per message (about a quarter of the
 * statement's time on PostgreSQL, measured with bench:plan).
 */
function planning(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.dropIndex("messages_provider").execute();
      await db.schema
        .createIndex("messages_provider")
        .on("messages")
        .columns(["tenant_id", "provider_id"])
        .where(sql.ref("provider_id"), "is not", null)
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex("messages_provider").execute();
      await db.schema
        .createIndex("messages_provider")
        .on("messages")
        .columns(["tenant_id", "provider_id"])
        .execute();
    },
  };
}

/**
 * Dispatch:
 * - `_x` looks up inbound interactions by person as well as by address at
 *   send time; without this index that is a scan of the tenant's
 *   interactions for every batch.
 * - On PostgreSQL the outbox's foreign key to messages goes, as messages'
 *   own did in 0005: its per-row check locks every message row it points to
 *   (FOR KEY SHARE), an extra write of each row the dispatcher has just
 *   claimed and is about to record. The outbox is only written by the
 *   dispatcher, with ids of messages it holds.
 */
function dispatchIndexes(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createIndex("inbound_person_time")
        .on("inbound_interactions")
        .columns(["tenant_id", "person_id", "received_at"])
        .execute();
      if (dialect === "postgres") {
        await sql`ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_message_id_fkey`.execute(db);
      }
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex("inbound_person_time").execute();
    },
  };
}

/**
 * Messages lose their unique constraint on (campaign_id, person_id): planning
 * writes each campaign's messages once, from `mailing_persons`, whose primary
 * key already makes each person appear once per mailing, and nothing looks a
 * message up by person. It cost one more index entry per message planned
 * (bench:plan). Every query of messages goes by campaign through
 * `messages_due` (campaign_id, state, next_attempt_at), by id, or by provider
 * id.
 *
 * SQLite cannot drop a constraint: the table is rebuilt without it (foreign
 * keys off meanwhile, so dropping the old table neither cascades to the
 * outbox nor fails on it; checked before committing). Its other indexes are
 * recreated as they were.
 */
function leanMessages(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      if (dialect === "postgres") {
        await sql`ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_campaign_person`.execute(
          db,
        );
        return;
      }
      const table = await sql<{ sql: string }>`
        SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'`.execute(db);
      const ddl = table.rows[0]?.sql ?? "";
      const unique = /,\s*constraint\s+"messages_campaign_person"\s+unique\s*\([^)]*\)/i;
      // After a `down`, the unique is an index of its own.
      await sql`DROP INDEX IF EXISTS messages_campaign_person`.execute(db);
      if (!unique.test(ddl)) return;
      const lean = ddl
        .replace(unique, "")
        .replace(/^create table\s+"?messages"?/i, 'CREATE TABLE "messages_lean"');
      const indexes = await sql<{ sql: string }>`
        SELECT sql FROM sqlite_master
         WHERE type IN ('index', 'trigger') AND tbl_name = 'messages' AND sql IS NOT NULL`.execute(
        db,
      );
      await sql`PRAGMA foreign_keys = OFF`.execute(db);
      try {
        await sql`BEGIN IMMEDIATE`.execute(db);
        try {
          await sql.raw(lean).execute(db);
          await sql`INSERT INTO messages_lean SELECT * FROM messages`.execute(db);
          await sql`DROP TABLE messages`.execute(db);
          await sql`ALTER TABLE messages_lean RENAME TO messages`.execute(db);
          for (const { sql: index } of indexes.rows) await sql.raw(index).execute(db);
          for (const t of ["messages", "outbox", "delivery_events"]) {
            const broken = await sql`SELECT * FROM pragma_foreign_key_check(${t})`.execute(db);
            if (broken.rows.length > 0) throw new Error(`${t}: foreign keys broken by the rebuild`);
          }
          await sql`COMMIT`.execute(db);
        } catch (error) {
          await sql`ROLLBACK`.execute(db);
          throw error;
        }
      } finally {
        await sql`PRAGMA foreign_keys = ON`.execute(db);
      }
    },
    async down(db: AnyDb) {
      if (dialect === "postgres") {
        await sql`ALTER TABLE messages ADD CONSTRAINT messages_campaign_person UNIQUE (campaign_id, person_id)`.execute(
          db,
        );
        return;
      }
      await sql`CREATE UNIQUE INDEX messages_campaign_person ON messages (campaign_id, person_id)`.execute(
        db,
      );
    },
  };
}

/**
 * A person's rights and retention (src/privacy/):
 * - `retention_settings`: per-tenant retention in days (null = the default);
 * - `erased_contacts`: keyed hashes (HMAC) of an erased person's contacts, so a
 *   later import of the same phone or e-mail is recognised as restricted
 *   without the value itself being kept;
 * - `persons.erased_at`, `campaigns.texts_purged_at`, `mailings.files_purged_at`:
 *   what erasure and the retention job already did (both are idempotent);
 * - indexes for the lookups of a person's export and erasure, each of which
 *   would otherwise scan a table the size of the base: by customer code, a
 *   person's mailings, outbox entries and the restrictions on a contact value
 *   (by document and a person's messages: 0017_api_routes). They cost one more
 *   index entry per person and mailing person imported.
 */
function privacyRights(dialect: Dialect): Migration {
  const { big } = columns(dialect);
  const indexes: [string, string, string[]][] = [
    ["persons_tenant_code", "persons", ["tenant_id", "cod_cliente"]],
    ["mailing_persons_person", "mailing_persons", ["person_id"]],
    ["outbox_message", "outbox", ["message_id"]],
    ["restrictions_tenant_value", "restrictions", ["tenant_id", "value"]],
  ];
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("retention_settings")
        .addColumn("tenant_id", big, (c) =>
          c.primaryKey().references("tenants.id").onDelete("cascade"),
        )
        .addColumn("originals_days", "integer")
        .addColumn("messages_days", "integer")
        .addColumn("discarded_days", "integer")
        .addColumn("updated_at", "text", notNull)
        .execute();
      await db.schema
        .createTable("erased_contacts")
        .addColumn("tenant_id", big, notNull)
        .addColumn("kind", "text", notNull)
        .addColumn("hash", "text", notNull)
        .addColumn("erased_at", "text", notNull)
        .addPrimaryKeyConstraint("erased_contacts_pk", ["tenant_id", "kind", "hash"])
        .execute();
      await db.schema.alterTable("persons").addColumn("erased_at", "text").execute();
      await db.schema.alterTable("campaigns").addColumn("texts_purged_at", "text").execute();
      await db.schema.alterTable("mailings").addColumn("files_purged_at", "text").execute();
      for (const [name, table, cols] of indexes) {
        await db.schema.createIndex(name).ifNotExists().on(table).columns(cols).execute();
      }
    },
    async down(db: AnyDb) {
      for (const [name] of indexes) await db.schema.dropIndex(name).ifExists().execute();
      await db.schema.alterTable("mailings").dropColumn("files_purged_at").execute();
      await db.schema.alterTable("campaigns").dropColumn("texts_purged_at").execute();
      await db.schema.alterTable("persons").dropColumn("erased_at").execute();
      await db.schema.dropTable("erased_contacts").execute();
      await db.schema.dropTable("retention_settings").execute();
    },
  };
}

/**
 * WhatsApp Cloud API (issue 12):
 * - senders.messaging_tier: the number's messaging limit (unique recipients
 *   per rolling 24 h: 250, 1000, 10000, 100000; null = unlimited).
 * - senders.phone_number_id is unique where set: the webhook finds the
 *   tenant (and the number) by it, so two registrations of one Cloud API
 *   number would make that ambiguous.
 * - sender_recipients: who each tiered number wrote to and when, one row per
 *   (sender, recipient), refreshed on every send. The dispatcher counts the
 *   rows of the last 24 h to stay inside the tier; kept apart from
 *   `messages` so that count is an index range per number instead of a
 *   scan of every message of its campaigns, and numbers without a tier
 *   write nothing here.
 */
function whatsapp(dialect: Dialect): Migration {
  const { big } = columns(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("senders").addColumn("messaging_tier", "integer").execute();
      await db.schema
        .createIndex("senders_phone_number_id")
        .on("senders")
        .column("phone_number_id")
        .unique()
        .where(sql.ref("phone_number_id"), "is not", null)
        .execute();
      await db.schema
        .createTable("sender_recipients")
        .addColumn("sender_id", big, (c) =>
          c.notNull().references("senders.id").onDelete("cascade"),
        )
        .addColumn("tenant_id", big, notNull)
        .addColumn("address", "text", notNull)
        .addColumn("last_at", "text", notNull)
        .addPrimaryKeyConstraint("sender_recipients_pk", ["sender_id", "address"])
        .execute();
      await db.schema
        .createIndex("sender_recipients_time")
        .on("sender_recipients")
        .columns(["sender_id", "last_at"])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable("sender_recipients").execute();
      await db.schema.dropIndex("senders_phone_number_id").execute();
      await db.schema.alterTable("senders").dropColumn("messaging_tier").execute();
    },
  };
}

/**
 * The SMTP provider's per-account settings beside host/port/security/
 * username/password_enc (already in 0001): the Reply-To address and optional
 * DKIM signing (domain, selector, private key encrypted with encryptSecret).
 */
function emailSmtp(): Migration {
  const added = ["reply_to", "dkim_domain", "dkim_selector", "dkim_key_enc"];
  return {
    async up(db: AnyDb) {
      for (const c of added) {
        await db.schema.alterTable("email_accounts").addColumn(c, "text").execute();
      }
    },
    async down(db: AnyDb) {
      for (const c of [...added].reverse()) {
        await db.schema.alterTable("email_accounts").dropColumn(c).execute();
      }
    },
  };
}

/**
 * LGPD (issue 15): legal basis per wallet (and recorded per mailing), the
 * tenant's switch that requires it, the audit retention setting, wider
 * restriction scopes and an append-only audit trail.
 *
 * Restrictions: `wallet_id` becomes optional (null = the whole tenant), a
 * `channel` (all | sms | whatsapp | email) narrows one to a channel,
 * `channel_kind` also takes "document" (CPF/CNPJ), and every entry says where
 * it came from (`origin`) and who added it (`actor`). The old unique
 * constraint cannot hold a null wallet as one value, so it becomes a unique
 * index over COALESCE(wallet_id, 0), led by (tenant_id, channel_kind, value):
 * every check looks a value up first, then filters the few scopes found.
 * SQLite cannot make a column nullable: the table is rebuilt (nothing
 * references it).
 *
 * Audit: UPDATE on audit_events is refused by a trigger on both databases;
 * DELETE only for events past their tenant's audit retention (the retention
 * job's), so the trail cannot be rewritten, only purged when it is due.
 */
function privacyLists(dialect: Dialect): Migration {
  const pg = dialect === "postgres";
  const scopeIndex = sql`CREATE UNIQUE INDEX restrictions_scope ON restrictions
    (tenant_id, channel_kind, value, (COALESCE(wallet_id, 0)), channel)`;
  return {
    async up(db: AnyDb) {
      await db.schema
        .alterTable("tenants")
        .addColumn("require_legal_basis", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("tenants")
        .addColumn("audit_retention_days", "integer", (c) => c.notNull().defaultTo(1825))
        .execute();
      for (const column of ["legal_basis", "legal_basis_note", "legal_basis_at"]) {
        await db.schema.alterTable("wallets").addColumn(column, "text").execute();
      }
      for (const column of ["legal_basis", "legal_basis_note"]) {
        await db.schema.alterTable("mailings").addColumn(column, "text").execute();
      }

      if (pg) {
        await sql`ALTER TABLE restrictions ALTER COLUMN wallet_id DROP NOT NULL`.execute(db);
        await sql`ALTER TABLE restrictions DROP CONSTRAINT IF EXISTS restrictions_unique`.execute(
          db,
        );
        await sql`ALTER TABLE restrictions ADD COLUMN channel text NOT NULL DEFAULT 'all'`.execute(
          db,
        );
        await sql`ALTER TABLE restrictions ADD COLUMN origin text NOT NULL DEFAULT 'operator'`.execute(
          db,
        );
        await sql`ALTER TABLE restrictions ADD COLUMN actor text`.execute(db);
        await scopeIndex.execute(db);
        await sql`CREATE FUNCTION audit_events_append_only() RETURNS trigger
          LANGUAGE plpgsql AS $$
          BEGIN
            IF TG_OP = 'DELETE' AND NOT EXISTS (
              SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id
                AND OLD.at >= to_char(
                  (now() - make_interval(days => t.audit_retention_days)) AT TIME ZONE 'UTC',
                  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) THEN
              RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
          END $$`.execute(db);
        await sql`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
          FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`.execute(db);
        return;
      }
      await sql`BEGIN IMMEDIATE`.execute(db);
      try {
        await sql`CREATE TABLE restrictions_scoped (
          id integer PRIMARY KEY,
          tenant_id integer NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
          wallet_id integer REFERENCES wallets(id) ON DELETE CASCADE,
          channel text NOT NULL DEFAULT 'all',
          channel_kind text NOT NULL,
          value text NOT NULL,
          reason text,
          origin text NOT NULL DEFAULT 'operator',
          actor text,
          created_at text NOT NULL)`.execute(db);
        await sql`INSERT INTO restrictions_scoped
            (id, tenant_id, wallet_id, channel_kind, value, reason, created_at)
          SELECT id, tenant_id, wallet_id, channel_kind, value, reason, created_at
            FROM restrictions`.execute(db);
        await sql`DROP TABLE restrictions`.execute(db);
        await sql`ALTER TABLE restrictions_scoped RENAME TO restrictions`.execute(db);
        await scopeIndex.execute(db);
        await sql`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
          BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (UPDATE refused)'); END`.execute(
          db,
        );
        await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
          WHEN EXISTS (SELECT 1 FROM tenants t WHERE t.id = OLD.tenant_id
            AND OLD.at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now',
                                   '-' || t.audit_retention_days || ' days'))
          BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (DELETE refused)'); END`.execute(
          db,
        );
        await sql`COMMIT`.execute(db);
      } catch (error) {
        await sql`ROLLBACK`.execute(db);
        throw error;
      }
    },
    async down(db: AnyDb) {
      // Entries the old model cannot hold (whole tenant, CPF/CNPJ) go; of one
      // value restricted on several channels of a wallet, one stays.
      await sql`DELETE FROM restrictions WHERE wallet_id IS NULL OR channel_kind = 'document'`.execute(
        db,
      );
      await sql`DELETE FROM restrictions WHERE id NOT IN (
          SELECT MIN(id) FROM restrictions GROUP BY tenant_id, wallet_id, channel_kind, value)`.execute(
        db,
      );
      await sql`DROP INDEX restrictions_scope`.execute(db);
      if (pg) {
        await sql`DROP TRIGGER audit_events_append_only ON audit_events`.execute(db);
        await sql`DROP FUNCTION audit_events_append_only()`.execute(db);
        await sql`ALTER TABLE restrictions DROP COLUMN channel, DROP COLUMN origin, DROP COLUMN actor`.execute(
          db,
        );
        await sql`ALTER TABLE restrictions ALTER COLUMN wallet_id SET NOT NULL`.execute(db);
        await sql`ALTER TABLE restrictions ADD CONSTRAINT restrictions_unique
          UNIQUE (tenant_id, wallet_id, channel_kind, value)`.execute(db);
      } else {
        await sql`DROP TRIGGER audit_events_no_update`.execute(db);
        await sql`DROP TRIGGER audit_events_no_delete`.execute(db);
        await sql`BEGIN IMMEDIATE`.execute(db);
        try {
          await sql`CREATE TABLE restrictions_old (
            id integer PRIMARY KEY,
            tenant_id integer NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
            wallet_id integer NOT NULL REFERENCES wallets(id) ON DELETE CASCADE,
            channel_kind text NOT NULL,
            value text NOT NULL,
            reason text,
            created_at text NOT NULL,
            CONSTRAINT restrictions_unique UNIQUE (tenant_id, wallet_id, channel_kind, value))`.execute(
            db,
          );
          await sql`INSERT INTO restrictions_old
              (id, tenant_id, wallet_id, channel_kind, value, reason, created_at)
            SELECT id, tenant_id, wallet_id, channel_kind, value, reason, created_at
              FROM restrictions`.execute(db);
          await sql`DROP TABLE restrictions`.execute(db);
          await sql`ALTER TABLE restrictions_old RENAME TO restrictions`.execute(db);
          await sql`COMMIT`.execute(db);
        } catch (error) {
          await sql`ROLLBACK`.execute(db);
          throw error;
        }
      }
      for (const column of ["legal_basis", "legal_basis_note"]) {
        await db.schema.alterTable("mailings").dropColumn(column).execute();
      }
      for (const column of ["legal_basis", "legal_basis_note", "legal_basis_at"]) {
        await db.schema.alterTable("wallets").dropColumn(column).execute();
      }
      await db.schema.alterTable("tenants").dropColumn("audit_retention_days").execute();
      await db.schema.alterTable("tenants").dropColumn("require_legal_basis").execute();
    },
  };
}

/**
 * Notifications (issue 13): a tenant's settings (webhook URL, its signing
 * secret encrypted, e-mail addresses, the source-failure threshold), the
 * outbox of notifications to deliver (one row per event and target, written
 * in the transaction of the event itself so a crash never loses one; the
 * unique key makes writing it twice a no-op) and the log of every delivery
 * attempt. On sources, `failing_since` (start of the current run of failed
 * polls) and `failure_notified_at` (when that run was notified) let a failing
 * source be notified once per run, not at every poll.
 */
function notifications(dialect: Dialect): Migration {
  const { id, big } = columns(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("notification_settings")
        .addColumn("tenant_id", big, (c) =>
          c.primaryKey().references("tenants.id").onDelete("cascade"),
        )
        .addColumn("webhook_url", "text")
        .addColumn("webhook_secret_enc", "text")
        .addColumn("emails_json", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("source_failure_minutes", "integer", (c) => c.notNull().defaultTo(30))
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .execute();
      await db.schema
        .createTable("notifications")
        .$call(id)
        .addColumn("tenant_id", big, (c) =>
          c.notNull().references("tenants.id").onDelete("cascade"),
        )
        .addColumn("event_id", "text", notNull)
        .addColumn("event", "text", notNull)
        .addColumn("dedup_key", "text", notNull)
        .addColumn("target", "text", notNull)
        .addColumn("payload_json", "text", notNull)
        .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text", notNull)
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", "text")
        .addColumn("last_error", "text")
        .addColumn("created_at", "text", notNull)
        .addColumn("finished_at", "text")
        .addUniqueConstraint("notifications_dedup", ["tenant_id", "target", "dedup_key"])
        .execute();
      await db.schema
        .createIndex("notifications_due")
        .on("notifications")
        .columns(["status", "next_attempt_at"])
        .execute();
      await db.schema
        .createTable("notification_deliveries")
        .$call(id)
        .addColumn("tenant_id", big, notNull)
        .addColumn("notification_id", big, (c) =>
          c.notNull().references("notifications.id").onDelete("cascade"),
        )
        .addColumn("attempt", "integer", notNull)
        .addColumn("at", "text", notNull)
        .addColumn("ok", "integer", notNull)
        .addColumn("status_code", "integer")
        .addColumn("error", "text")
        .addColumn("duration_ms", "integer", notNull)
        .execute();
      await db.schema
        .createIndex("notification_deliveries_tenant")
        .on("notification_deliveries")
        .columns(["tenant_id", "id"])
        .execute();
      await db.schema
        .createIndex("notification_deliveries_notification")
        .on("notification_deliveries")
        .column("notification_id")
        .execute();
      await db.schema.alterTable("file_sources").addColumn("failing_since", "text").execute();
      await db.schema.alterTable("file_sources").addColumn("failure_notified_at", "text").execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable("file_sources").dropColumn("failure_notified_at").execute();
      await db.schema.alterTable("file_sources").dropColumn("failing_since").execute();
      await db.schema.dropTable("notification_deliveries").execute();
      await db.schema.dropTable("notifications").execute();
      await db.schema.dropTable("notification_settings").execute();
    },
  };
}

/**
 * The API's searches (issue 13): people by CPF/CNPJ (a person keyed by
 * CODCLIENTE keeps its document in `document`, outside the key's index) and a
 * person's messages (every other query of messages goes by campaign, id or
 * provider id). Messages by destination go through `person_channels`'s
 * (tenant_id, value) index to the person, then this one: one index on
 * messages, kept small (an integer), since planning inserts every message.
 */
function apiRoutes(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createIndex("persons_tenant_document")
        .on("persons")
        .columns(["tenant_id", "document"])
        .execute();
      await db.schema.createIndex("messages_person").on("messages").column("person_id").execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropIndex("messages_person").execute();
      await db.schema.dropIndex("persons_tenant_document").execute();
    },
  };
}

/**
 * Erasure of a person's lines from files on remote sources (issue 15): one
 * row per file still to clean, kept while a server is unreachable so that
 * running the erasure again retries it. The person's identifiers, needed to
 * find their lines and already cleared from `persons`, are kept only here,
 * encrypted with the installation's secret key, and the row goes as soon as
 * its file is done.
 */
function remoteErasures(dialect: Dialect): Migration {
  const { id, big } = columns(dialect);
  return {
    async up(db: AnyDb) {
      await id(db.schema.createTable("erasure_remote_files"))
        .addColumn("tenant_id", big, notNull)
        .addColumn("person_id", big, notNull)
        .addColumn("mailing_id", big, notNull)
        .addColumn("source_id", big)
        .addColumn("path", "text", notNull)
        .addColumn("identifiers_enc", "text", notNull)
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("last_error", "text")
        .addColumn("created_at", "text", notNull)
        .addColumn("updated_at", "text", notNull)
        .addUniqueConstraint("erasure_remote_files_file", [
          "tenant_id",
          "person_id",
          "mailing_id",
          "path",
        ])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable("erasure_remote_files").execute();
    },
  };
}

/**
 * Each mailing person's first mobile and first e-mail in file order, beside
 * `channels_json` (issue #11): planning takes a campaign's destination from
 * them, and walks the JSON array only when that first contact is restricted.
 * Reading every person's array at planning took a fifth of a 1M-person import
 * on PostgreSQL. Existing rows are filled from their array (an erased
 * person's is empty: both stay null).
 */
function firstContacts(dialect: Dialect): Migration {
  const columns = ["first_mobile", "first_email"] as const;
  return {
    async up(db: AnyDb) {
      for (const column of columns) {
        await db.schema.alterTable("mailing_persons").addColumn(column, "text").execute();
      }
      const first = (kind: string) =>
        dialect === "postgres"
          ? sql`(SELECT e.c->>'value' FROM json_array_elements(channels_json::json)
                   WITH ORDINALITY AS e(c, o)
                 WHERE e.c->>'kind' = ${kind} ORDER BY e.o LIMIT 1)`
          : sql`(SELECT json_extract(e.value, '$.value') FROM json_each(channels_json) AS e
                 WHERE json_extract(e.value, '$.kind') = ${kind} ORDER BY e.key LIMIT 1)`;
      await sql`UPDATE mailing_persons
        SET first_mobile = ${first("mobile")}, first_email = ${first("email")}
        WHERE channels_json <> '[]'`.execute(db);
    },
    async down(db: AnyDb) {
      for (const column of columns) {
        await db.schema.alterTable("mailing_persons").dropColumn(column).execute();
      }
    },
  };
}

/** Ordered by name; append new ones with a larger prefix. */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return {
    "0001_initial": initial(dialect),
    "0002_mailing_last_error": mailingLastError(),
    "0003_byte_order_keys": byteOrderKeys(dialect),
    "0004_report_details": reportDetails(),
    "0005_campaign_engine": campaignEngine(dialect),
    "0006_return_file": returnFile(),
    "0007_api": apiKeys(),
    "0008_planning": planning(),
    "0009_dispatch": dispatchIndexes(dialect),
    "0010_messages_lean": leanMessages(dialect),
    "0011_email_smtp": emailSmtp(),
    "0012_whatsapp": whatsapp(dialect),
    "0014_notifications": notifications(dialect),
    "0015_privacy_lists": privacyLists(dialect),
    "0016_privacy_rights": privacyRights(dialect),
    "0017_api_routes": apiRoutes(),
    "0018_c2_eraseremote": remoteErasures(dialect),
    "0019_first_contacts": firstContacts(dialect),
  };
}

export interface MigrationOutcome {
  applied: string[];
  error: unknown;
}

function migratorFor(db: AnyDb, dialect: Dialect, schema?: string): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
  return new Migrator({
    db: dialect === "postgres" ? withCurrentSchemaIntrospection(db) : db,
    provider,
    // Names give fresh bases their order. Migrations are written on parallel branches, so a
    // base may already have a later one (0017) when an earlier one (0016) arrives: it still
    // gets it. Each migration touches only its own tables and columns, so the order between
    // such siblings does not matter.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/**
 * The database handle with an introspector that lists only the tables of the
 * current schema, for the migrator's "does my migration table exist?" check.
 * Kysely's own lists every column of every schema and calls
 * pg_get_serial_sequence on each; a table of another schema dropped or
 * altered meanwhile (tests drop theirs; several installations may share a
 * server) then fails our migration with "column ... of relation ... does not
 * exist" (42703), "schema ... does not exist" (3F000) or "relation ... does
 * not exist" (42P01), though nothing is wrong with ours. Seen in CI: a
 * PostgreSQL test store failed to open.
 */
function withCurrentSchemaIntrospection(db: AnyDb): AnyDb {
  const introspection: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    async getTables() {
      const { rows } = await sql<{ name: string; schema: string; kind: string }>`
        SELECT c.relname AS name, n.nspname AS schema, c.relkind AS kind
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')`.execute(db);
      return rows.map((r) => ({
        name: r.name,
        schema: r.schema,
        isView: r.kind === "v",
        columns: [],
      }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "introspection") return introspection;
      // Kysely's methods read private fields: they must run on the real object.
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Runs one migrator step, trying again (up to 5 times, with a short pause)
 * when it failed only because another schema of the server was dropped
 * meanwhile: see isOtherSchemaDropped.
 */
async function runStep(
  schema: string | undefined,
  step: () => Promise<MigrationResultSet>,
): Promise<MigrationOutcome> {
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await step();
    if (attempt < 5 && isOtherSchemaDropped(error, schema)) {
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      continue;
    }
    return {
      applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName),
      error: error ?? null,
    };
  }
}

/** Brings the schema up to date. Safe to call at every start-up and concurrently (Kysely locks). */
export async function migrateToLatest(
  db: AnyDb,
  dialect: Dialect,
  schema?: string,
): Promise<MigrationOutcome> {
  const migrator = migratorFor(db, dialect, schema);
  return runStep(schema, () => migrator.migrateToLatest());
}

/** Undoes the last applied migration (tests of a migration's down and up). */
export async function migrateDown(
  db: AnyDb,
  dialect: Dialect,
  schema?: string,
): Promise<MigrationOutcome> {
  const migrator = migratorFor(db, dialect, schema);
  return runStep(schema, () => migrator.migrateDown());
}

/** Migrates up or down until `target` is the last applied migration (tests of one migration). */
export async function migrateTo(
  db: AnyDb,
  dialect: Dialect,
  target: string,
  schema?: string,
): Promise<MigrationOutcome> {
  const migrator = migratorFor(db, dialect, schema);
  return runStep(schema, () => migrator.migrateTo(target));
}

/**
 * Kysely's check for its migration table lists the tables of every schema and
 * resolves each schema by name; when another schema of the same database is
 * dropped meanwhile (tests drop theirs, several deployments may share a
 * server), that lookup fails with "schema ... does not exist" (3F000) though
 * nothing is wrong with ours. When the schema goes between the listing and the
 * read of one of its tables, it fails instead with "relation
 * "<other schema>.<table>" does not exist" (42P01; seen once in a test run).
 * Nothing was applied then: trying again is safe.
 */
function isOtherSchemaDropped(error: unknown, schema?: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code === "3F000") return true;
  if (e?.code !== "42P01" || typeof e.message !== "string") return false;
  const qualified = /relation "([^".]+)\.[^"]+" does not exist/.exec(e.message);
  return qualified !== null && qualified[1] !== schema;
}

/** Names of the migrations not applied yet (for readiness checks): empty when up to date. */
export async function pendingMigrations(
  db: AnyDb,
  dialect: Dialect,
  schema?: string,
): Promise<string[]> {
  const migrator = migratorFor(db, dialect, schema);
  for (let attempt = 1; ; attempt++) {
    try {
      const all = await migrator.getMigrations();
      return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
    } catch (error) {
      if (attempt >= 5 || !isOtherSchemaDropped(error, schema)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
