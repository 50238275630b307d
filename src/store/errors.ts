/** Turns database failures into pt-BR operator messages (never echoing the URL: it may hold a password). */
import { DatabaseUrlError } from "./db.js";

export function describeDbError(error: unknown): string {
  if (error instanceof DatabaseUrlError) return error.message;
  const e = error as { code?: string; message?: string };
  if (e?.code === "ECONNREFUSED") {
    return "Não foi possível conectar ao PostgreSQL (conexão recusada). Verifique se o servidor está no ar e o endereço em DATABASE_URL.";
  }
  if (e?.code === "3D000") {
    return "O banco indicado em DATABASE_URL não existe. Crie-o (createdb) ou corrija o nome.";
  }
  if (e?.code === "28P01" || e?.code === "28000") {
    return "O PostgreSQL recusou o usuário ou a senha de DATABASE_URL. Corrija as credenciais.";
  }
  if (e?.code === "SQLITE_CANTOPEN") {
    return "Não foi possível abrir o arquivo SQLite. Verifique o caminho em DATABASE_URL e as permissões da pasta de dados.";
  }
  if (e?.code === "SQLITE_BUSY") {
    return "O banco SQLite está ocupado por outro processo. Tente novamente em instantes.";
  }
  return `Erro no banco de dados: ${e?.message ?? String(error)}`;
}

/** Unique-constraint violation on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string };
  return (
    e?.code === "23505" ||
    e?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  );
}

/**
 * The database refused a value of the file itself: data exceptions (SQLSTATE
 * class 22: bad encoding, a value out of range...) and program limits (class
 * 54: an index entry over PostgreSQL's 2.7 kB...), or SQLite's too-big. The
 * same file would fail the same way every time, so it is a refusal of the
 * file, not a failure to retry.
 */
export function isDataRejection(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string") return false;
  return /^(22|54)[0-9A-Z]{3}$/.test(code) || code === "SQLITE_TOOBIG";
}

/** What the database refused in a file, for the operator (`isDataRejection` errors). */
export function describeDataRejection(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const what =
    e.code?.startsWith("54") || e.code === "22001" || e.code === "SQLITE_TOOBIG"
      ? "um valor longo demais para ser gravado (um código de cliente, documento ou contato com milhares de caracteres, por exemplo)"
      : e.code === "22021" || e.code === "22P05"
        ? "um texto com caracteres que o banco não aceita"
        : "um valor que o banco não aceita";
  return `O banco de dados recusou ${what}. Corrija o arquivo e envie-o de novo. Detalhe técnico: ${e.message ?? String(error)}`;
}
