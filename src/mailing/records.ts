/**
 * Turns split CSV rows into people: validation (always), sanitization (`_h`), and grouping.
 *
 * Grouping keeps memory flat: only the person being built is held. Consecutive rows with the same
 * key (CODCLIENTE, else CPFCNPJ, else the channel value) form one record; when the key changes the
 * record is emitted. A person whose rows are scattered through the file comes out as several
 * records with the same key, which the import merges. A record is also cut after
 * MAX_CHANNELS_PER_RECORD contacts (a file whose CODCLIENTE is constant must not grow one record
 * without bound).
 *
 * Duplicates (DUPLICADO, sanitize only) are detected anywhere in the file, so the report does not
 * depend on the order of the rows: a person's contacts met so far are kept as 64-bit hashes of
 * (key, value) for the whole file (see TextHashSet; a false repeat has a probability of about
 * 10⁻⁷ in a file of millions of rows). Without `_h` nothing is kept: a repeated channel is dropped
 * silently (the row still counts as good), within a record here and across records by the import.
 *
 * Rows rejected as DUPLICADO or RESTRITO are sanitization removals, not broken rows: they are
 * reported but do not count towards the REJEICAO_EXCESSIVA ratio.
 *
 * An invalid optional field (CPFCNPJ, CODCLIENTE, NOME_CLIENTE or a CORINGA too long, PRIORIDADE
 * not one of the known values) never costs the row its contact: the field is left blank and the
 * row is kept, with one entry per field in the rejections (codes in FIELD_CODES) so the operator
 * sees the line and the field. Those entries are emitted only once the row is kept, and are not
 * rejected rows.
 */
import { type CsvRow, FIELD_PLAIN, MAX_COLUMNS, TOO_MANY_COLUMNS } from "./csv.js";
import { normalizeDocument } from "./document.js";
import { normalizeEmail } from "./email.js";
import { type ColumnMap, type KnownColumn, normalizeColumnName } from "./header.js";
import { normalizePhone } from "./phone.js";
import { TextHashSet } from "./text-set.js";
import type { ContactChannel, PersonRecord, RejectedRow, RowRejectCode } from "./types.js";

/**
 * How many (person, contact) pairs a file's far-apart repeats are looked for
 * among (DUPLICADO with `_h`): about 32 MB at most, whatever the file. Past
 * that, a repeat is still found next to its person's other rows, and the
 * import stores each contact once either way; only the report may miss a
 * far-apart repeat in a file of millions of contacts.
 */
export const FILE_CONTACTS_TRACKED = 2_000_000;

export const MAX_CHANNELS_PER_RECORD = 1000;
/** Longest original row kept in a rejection (the report must stay readable and memory bounded). */
export const MAX_RAW_CHARS = 4000;
const CORINGA_LIMITS = [300, 300, 300, 300, 3000] as const;
/**
 * CODCLIENTE is a person's key, indexed by the databases (PostgreSQL refuses
 * index entries over 2.7 kB; a file with one would fail every import there).
 */
const CODE_LIMIT = 100;
const NAME_LIMIT = 300;
const CACHE_LIMIT = 256;
/** Entries of the small caches looked up by comparing a field in place (no string made). */
const RECENT_LIMIT = 8;

/** `trim` without the call when the ends are not whitespace (the common case in the hot loop). */
function trim(s: string): string {
  const n = s.length;
  if (n === 0) return s;
  if (
    s.charCodeAt(0) > 32 &&
    s.charCodeAt(n - 1) > 32 &&
    s.charCodeAt(0) !== 160 &&
    s.charCodeAt(n - 1) !== 160
  )
    return s;
  return s.trim();
}

/** `trim(row.get(i)) === value`, without making the string in the common case. */
function trimmedIs(row: CsvRow, i: number, value: string): boolean {
  if (row.kinds[i] !== FIELD_PLAIN) return trim(row.get(i)) === value;
  const text = row.text;
  const a = row.starts[i] as number;
  const b = row.ends[i] as number;
  const length = value.length;
  // Same length: equal only if nothing is trimmed, i.e. if the field reads exactly `value`.
  if (b - a === length) return text.slice(a, b) === value;
  if (b - a < length) return false;
  const first = text.charCodeAt(a);
  const last = text.charCodeAt(b - 1);
  if (first > 32 && last > 32 && first !== 160 && last !== 160) return false;
  return text.slice(a, b).trim() === value;
}

/** Whether field `i` is the empty string (no string made). */
function isEmptyField(row: CsvRow, i: number): boolean {
  return row.kinds[i] === FIELD_PLAIN && row.starts[i] === row.ends[i];
}

/** `trim(row.get(i))`, or "" without making a string when the field is empty. */
function trimmedField(row: CsvRow, i: number): string {
  return isEmptyField(row, i) ? "" : trim(row.get(i));
}

export interface ReaderCounters {
  rows: number;
  persons: number;
  rejectedRows: number;
  /** Rejected rows that count for REJEICAO_EXCESSIVA (not DUPLICADO/RESTRITO). */
  brokenRows: number;
  /** Entries in the rejections by code: whole rows, contacts dropped from kept rows, blanked fields. */
  rejected: Partial<Record<RowRejectCode, number>>;
  /** One-row-per-person layout: contacts dropped from rows that were kept (another contact was good). */
  droppedContacts: number;
  /** Invalid optional fields left blank in rows that were kept. */
  blankedFields: number;
  /** `_h`: kept mobiles written with 8 digits that got the 9th digit. */
  ninthDigits: number;
  channels: { mobile: number; landline: number; email: number; unknown: number };
}

export function newCounters(): ReaderCounters {
  return {
    rows: 0,
    persons: 0,
    rejectedRows: 0,
    brokenRows: 0,
    rejected: {},
    droppedContacts: 0,
    blankedFields: 0,
    ninthDigits: 0,
    channels: { mobile: 0, landline: 0, email: 0, unknown: 0 },
  };
}

export interface RecordOptions {
  sanitize: boolean;
  isRestricted?: (kind: "phone" | "email", value: string) => boolean;
  /** Restricted CPF/CNPJ (normalized): every row of that person is rejected as RESTRITO. */
  isDocumentRestricted?: (document: string) => boolean;
  /** Name of the zip entry the rows come from, if any. */
  entry?: string;
}

type ChannelType = "phone" | "email";

function channelTypeOf(cell: string): ChannelType | null {
  switch (normalizeColumnName(cell)) {
    case "TELEFONE":
    case "CELULAR":
    case "FONE":
      return "phone";
    case "EMAIL":
      return "email";
    default:
      return null;
  }
}

const PRIORITY: Record<string, string> = {
  ALTA: "ALTA",
  MEDIA: "MEDIA",
  BAIXA: "BAIXA",
  "1": "ALTA",
  "2": "MEDIA",
  "3": "BAIXA",
};

type ChannelResult =
  | { ok: true; value: string; kind: ContactChannel["kind"]; ninthDigit?: true }
  | { ok: false; code: RowRejectCode; message: string };

export class RecordBuilder {
  persons: PersonRecord[] = [];
  rejected: RejectedRow[] = [];
  private current: PersonRecord | null = null;
  private currentValues: Set<string> | null = null;
  /** With `_h`: every (person, contact) of the file so far, for DUPLICADO in rows apart. */
  private fileContacts: TextHashSet | null = null;
  private readonly typeCache = new Map<string, ChannelType | null>();
  private readonly priorityCache = new Map<string, string | null>();
  private readonly recentTypeKeys: string[] = [];
  private readonly recentTypes: (ChannelType | null)[] = [];
  private readonly recentPriorityKeys: string[] = [];
  private readonly recentPriorities: (string | null)[] = [];
  private lastDocRaw = "";
  private lastDoc: ReturnType<typeof normalizeDocument> | null = null;
  /**
   * The row's document and PRIORIDADE as `checkCommon` read them (null: empty document, invalid
   * priority), for `recordFor` and `mergeFields`, which always follow it for the same row.
   */
  private rowDoc: ReturnType<typeof normalizeDocument> | null = null;
  private rowPriority: string | null = null;
  /** BLANK_* bits of the row's fields that `checkCommon` found invalid. */
  private rowBlank = 0;
  /** The row's invalid optional fields, reported once the row is kept. */
  private readonly rowWarnings: { code: RowRejectCode; message: string }[] = [];
  private readonly idx: Partial<Record<KnownColumn, number>>;
  /**
   * Long layout: first column of the person's own fields (all but the type, value and message
   * columns), when those fields are the last columns; -1 otherwise. See `samePersonFields`.
   */
  private readonly personFrom: number;
  /**
   * The current record's last merged row from `personFrom` to its end, as written. A row with the
   * same text there has the same person fields (the same text splits the same way), so its
   * document, coringa and priority checks pass, its key is the current record's, and merging its
   * fields changes nothing.
   */
  private currentSpan: string | null = null;
  private readonly coringaIdx: (number | undefined)[];

  constructor(
    private readonly map: ColumnMap,
    private readonly options: RecordOptions,
    private readonly counters: ReaderCounters,
  ) {
    this.idx = map.known;
    this.coringaIdx = [
      map.known.coringa1,
      map.known.coringa2,
      map.known.coringa3,
      map.known.coringa4,
      map.known.coringa5,
    ];
    this.personFrom = personColumnsStart(map);
  }

  /** CsvRowSplitter sink. */
  readonly row = (row: CsvRow, start: number, end: number, line: number): void => {
    const count = row.count;
    const text = row.text;
    if (count === TOO_MANY_COLUMNS) {
      this.counters.rows++;
      this.reject(
        line,
        text,
        start,
        end,
        "COLUNAS_DEMAIS",
        `A linha tem mais de ${MAX_COLUMNS.toLocaleString("pt-BR")} colunas (o cabeçalho tem ${this.map.width}): confira se algum campo contém o separador sem estar entre aspas, ou apague as colunas sobrando`,
      );
      return;
    }
    if (count === 0) {
      this.counters.rows++;
      this.reject(
        line,
        text,
        start,
        end,
        "COLUNAS_INCONSISTENTES",
        "Aspas abertas e não fechadas, ou linha longa demais: feche as aspas do campo (um campo entre aspas termina com outra aspa) ou salve o arquivo de novo como CSV",
      );
      return;
    }
    // Blank lines and Excel's empty rows (";;;;") are skipped without counting.
    if (end - start <= count * 2 && restIsBlank(row, 0, count)) return;
    this.counters.rows++;
    const width = this.map.width;
    if (count !== width && !(count > width && restIsBlank(row, width, count))) {
      this.reject(
        line,
        text,
        start,
        end,
        "COLUNAS_INCONSISTENTES",
        `A linha tem ${count} colunas e o cabeçalho tem ${width}: confira se algum campo contém o separador sem estar entre aspas`,
      );
      return;
    }
    if (this.map.layout === "long") this.longRow(row, text, start, end, line);
    else this.wideRow(row, text, start, end, line);
  };

  /** The channel type named by field `at` (cached: the column holds a handful of values). */
  private channelType(row: CsvRow, at: number): ChannelType | null {
    const keys = this.recentTypeKeys;
    for (let i = 0; i < keys.length; i++)
      if (row.equals(at, keys[i] as string)) return this.recentTypes[i] as ChannelType | null;
    const typeCell = row.get(at);
    let type = this.typeCache.get(typeCell);
    if (type === undefined) {
      type = channelTypeOf(typeCell);
      if (this.typeCache.size < CACHE_LIMIT) this.typeCache.set(typeCell, type);
    }
    if (keys.length < RECENT_LIMIT) {
      keys.push(typeCell);
      this.recentTypes.push(type);
    }
    return type;
  }

  private longRow(row: CsvRow, text: string, start: number, end: number, line: number): void {
    const idx = this.idx;
    const type = this.channelType(row, idx.type as number);
    if (type === null) {
      const shown = row.get(idx.type as number).trim();
      this.reject(
        line,
        text,
        start,
        end,
        "TIPO_INVALIDO",
        shown === ""
          ? "TIPO_DE_REGISTRO vazio: informe TELEFONE, CELULAR, FONE ou EMAIL"
          : `TIPO_DE_REGISTRO "${clip(shown)}" desconhecido: use TELEFONE, CELULAR, FONE ou EMAIL`,
      );
      return;
    }
    const rawValue = row.get(idx.value as number);
    if (trim(rawValue) === "") {
      this.reject(
        line,
        text,
        start,
        end,
        "VALOR_VAZIO",
        type === "phone"
          ? "VALOR_DO_REGISTRO vazio: informe o telefone com DDD"
          : "VALOR_DO_REGISTRO vazio: informe o endereço de e-mail",
      );
      return;
    }
    const channel = this.validateChannel(type, rawValue);
    if (!channel.ok) {
      this.reject(line, text, start, end, channel.code, channel.message);
      return;
    }
    if (this.samePersonFields(row, end)) {
      // Another contact of the person being built, with the same fields: only the contact is new.
      const record = this.current as PersonRecord;
      if (this.restricted(channel.kind, channel.value)) {
        this.reject(line, text, start, end, "RESTRITO", restrictedMessage(channel.kind));
        return;
      }
      if (!this.takeContact(record, channel, line, text, start, end)) return;
      if (channel.ninthDigit === true) this.counters.ninthDigits++;
      this.mergeMessage(record, row);
      return;
    }
    if (this.restricted(channel.kind, channel.value)) {
      this.reject(line, text, start, end, "RESTRITO", restrictedMessage(channel.kind));
      return;
    }
    this.checkCommon(row);
    if (this.documentRestricted()) {
      this.reject(line, text, start, end, "RESTRITO", DOCUMENT_RESTRICTED);
      return;
    }
    const record = this.recordFor(row, channel.value, line);
    if (!this.takeContact(record, channel, line, text, start, end)) {
      // Its invalid fields are reported all the same: which of a person's
      // repeated rows is the repeat depends on the order of the rows.
      this.emitWarnings(line, text, start, end);
      return;
    }
    if (channel.ninthDigit === true) this.counters.ninthDigits++;
    this.mergeFields(record, row);
    const from = this.personFrom;
    // A row with a blanked field is not a template for the next ones: each of them is checked,
    // so each line with the invalid field is reported, whatever the grouping.
    if (from >= 0 && record.keyKind !== "channel" && this.rowWarnings.length === 0)
      this.currentSpan = text.slice(row.rawStarts[from] as number, end);
    else this.currentSpan = null;
    this.emitWarnings(line, text, start, end);
  }

  /** Whether the row's person fields read exactly as the current record's last merged row. */
  private samePersonFields(row: CsvRow, end: number): boolean {
    const span = this.currentSpan;
    if (span === null) return false;
    const current = this.current as PersonRecord;
    if (current.channels.length >= MAX_CHANNELS_PER_RECORD) return false;
    const at = row.rawStarts[this.personFrom] as number;
    // A slice compared with `===` is a native compare; `startsWith(span, at)` walks char by char.
    return end - at === span.length && row.text.slice(at, end) === span;
  }

  /** The first non-blank message stays (part of `mergeFields`). */
  private mergeMessage(record: PersonRecord, row: CsvRow): void {
    const at = this.idx.message;
    if (at !== undefined && record.message === null && !isEmptyField(row, at)) {
      const message = row.get(at);
      if (trim(message) !== "") record.message = message;
    }
  }

  private wideRow(row: CsvRow, text: string, start: number, end: number, line: number): void {
    this.checkCommon(row);
    if (this.documentRestricted()) {
      this.reject(line, text, start, end, "RESTRITO", DOCUMENT_RESTRICTED);
      return;
    }
    this.lastPartCodes = [];
    const found: ContactChannel[] = [];
    /** Values of `found` that got the 9th digit (rare: a list, not a flag per contact). */
    const ninth: string[] = [];
    let filled = 0;
    for (const column of this.map.channels) {
      const cell = row.get(column.index);
      if (cell === "" || cell.trim() === "") continue;
      filled++;
      const channel = this.validateChannel(column.kind, cell);
      if (!channel.ok) {
        this.rejectPart(line, text, start, end, channel.code, `${column.name}: ${channel.message}`);
        continue;
      }
      if (this.restricted(channel.kind, channel.value)) {
        this.rejectPart(
          line,
          text,
          start,
          end,
          "RESTRITO",
          `${column.name}: ${restrictedMessage(channel.kind)}`,
        );
        continue;
      }
      if (found.some((c) => c.value === channel.value)) {
        if (this.options.sanitize)
          this.rejectPart(
            line,
            text,
            start,
            end,
            "DUPLICADO",
            `${column.name}: contato ${channel.value} repetido na mesma linha`,
          );
        continue;
      }
      found.push({ kind: channel.kind, value: channel.value, line });
      if (channel.ninthDigit === true) ninth.push(channel.value);
    }
    if (filled === 0) {
      this.reject(
        line,
        text,
        start,
        end,
        "VALOR_VAZIO",
        `Nenhum contato na linha: preencha ao menos uma das colunas ${this.map.channels.map((c) => c.name).join(", ")}`,
      );
      return;
    }
    if (found.length === 0) {
      // Every contact was rejected; each got its own line in the report.
      this.counters.rejectedRows++;
      const codes = this.lastPartCodes;
      if (codes.some((c) => c !== "DUPLICADO" && c !== "RESTRITO")) this.counters.brokenRows++;
      this.lastPartCodes = [];
      return;
    }
    // The row is kept: the contacts rejected above were dropped from it.
    this.counters.droppedContacts += this.lastPartCodes.length;
    this.lastPartCodes = [];
    const record = this.recordFor(row, (found[0] as ContactChannel).value, line);
    for (const channel of found) {
      if (this.hasChannel(record, channel.value) || !this.firstInFile(record, channel.value)) {
        if (this.options.sanitize) {
          this.counters.droppedContacts++;
          this.rejectPart(
            line,
            text,
            start,
            end,
            "DUPLICADO",
            `Contato ${channel.value} repetido para a mesma pessoa: ignorado`,
          );
        }
        continue;
      }
      this.addChannel(record, channel);
      if (ninth.length > 0 && ninth.includes(channel.value)) this.counters.ninthDigits++;
    }
    this.lastPartCodes = [];
    this.mergeFields(record, row);
    this.emitWarnings(line, text, start, end);
  }

  private lastPartCodes: RowRejectCode[] = [];

  private validateChannel(type: ChannelType, raw: string): ChannelResult {
    if (type === "email") {
      const r = normalizeEmail(raw, this.options.sanitize);
      return r.ok ? { ok: true, value: r.value, kind: "email" } : r;
    }
    return normalizePhone(raw, this.options.sanitize);
  }

  /** Whether the row's document (as `checkCommon` read it) is on the restriction list. */
  private documentRestricted(): boolean {
    const lookup = this.options.isDocumentRestricted;
    const doc = this.rowDoc;
    if (!this.options.sanitize || lookup === undefined || !doc?.ok) return false;
    return lookup(doc.value);
  }

  private restricted(kind: ContactChannel["kind"], value: string): boolean {
    const lookup = this.options.isRestricted;
    return this.options.sanitize && lookup?.(kind === "email" ? "email" : "phone", value) === true;
  }

  /**
   * Document, lengths and priority: the row's optional fields. An invalid one is blanked for this
   * row (`rowBlank`, `rowDoc`, `rowPriority`) and described in `rowWarnings`, which the caller
   * emits once the row is kept (`emitWarnings`).
   */
  private checkCommon(row: CsvRow): void {
    const idx = this.idx;
    const warnings = this.rowWarnings;
    warnings.length = 0;
    let blank = 0;
    const doc = idx.document !== undefined ? this.document(row, idx.document) : null;
    if (doc !== null && !doc.ok) {
      warnings.push({ code: doc.code, message: blanked(`CPFCNPJ: ${doc.message}`) });
      this.rowDoc = null;
    } else {
      this.rowDoc = doc;
    }
    if (idx.code !== undefined && row.length(idx.code) > CODE_LIMIT) {
      const length = trim(row.get(idx.code)).length;
      if (length > CODE_LIMIT) {
        blank |= BLANK_CODE;
        warnings.push({
          code: "CAMPO_LONGO",
          message: blanked(
            `CODCLIENTE tem ${length} caracteres e o limite é ${CODE_LIMIT}: confira a coluna do código do cliente`,
          ),
        });
      }
    }
    if (idx.name !== undefined && row.length(idx.name) > NAME_LIMIT) {
      const length = trim(row.get(idx.name)).length;
      if (length > NAME_LIMIT) {
        blank |= BLANK_NAME;
        warnings.push({
          code: "CAMPO_LONGO",
          message: blanked(
            `NOME_CLIENTE tem ${length} caracteres e o limite é ${NAME_LIMIT}: encurte o nome`,
          ),
        });
      }
    }
    for (let i = 0; i < 5; i++) {
      const at = this.coringaIdx[i];
      if (at === undefined) continue;
      const length = row.length(at);
      const limit = CORINGA_LIMITS[i] as number;
      if (length > limit) {
        blank |= BLANK_CORINGA << i;
        warnings.push({
          code: "CAMPO_LONGO",
          message: blanked(
            `CORINGA${i + 1} tem ${length} caracteres e o limite é ${limit}: encurte o texto`,
          ),
        });
      }
    }
    this.rowBlank = blank;
    const priority = idx.priority !== undefined ? this.priorityCell(row, idx.priority) : "";
    this.rowPriority = priority;
    if (priority === null) {
      warnings.push({
        code: "PRIORIDADE_INVALIDA",
        message: blanked(
          `PRIORIDADE "${clip(trim(row.get(idx.priority as number)))}" inválida: use ALTA, MEDIA ou BAIXA (ou 1, 2, 3)`,
        ),
      });
    }
  }

  /** The kept row's blanked fields, one rejection entry each (not a rejected row). */
  private emitWarnings(line: number, text: string, start: number, end: number): void {
    const warnings = this.rowWarnings;
    if (warnings.length === 0) return;
    for (const w of warnings) {
      this.counters.blankedFields++;
      this.pushRejection(line, text, start, end, w.code, w.message);
    }
    warnings.length = 0;
  }

  private priority(raw: string): string | null {
    let value = this.priorityCache.get(raw);
    if (value === undefined) {
      value = normalizePriority(raw);
      if (this.priorityCache.size < CACHE_LIMIT) this.priorityCache.set(raw, value);
    }
    return value;
  }

  /** The PRIORIDADE cell normalized: "" when blank, null when invalid. */
  private priorityCell(row: CsvRow, at: number): string | null {
    const keys = this.recentPriorityKeys;
    for (let i = 0; i < keys.length; i++)
      if (row.equals(at, keys[i] as string)) return this.recentPriorities[i] as string | null;
    const cell = row.get(at);
    const raw = trim(cell);
    const value = raw === "" ? "" : this.priority(raw);
    if (keys.length < RECENT_LIMIT) {
      keys.push(cell);
      this.recentPriorities.push(value);
    }
    return value;
  }

  /** Normalized document of a cell (cached: rows of one person repeat it), null when empty. */
  private document(row: CsvRow, at: number): ReturnType<typeof normalizeDocument> | null {
    // Read, then compare: most rows that get here start a new person (a cache miss), and comparing
    // in place first would slice the field twice.
    const raw = row.get(at);
    if (raw === this.lastDocRaw) return this.lastDoc;
    this.lastDocRaw = raw;
    this.lastDoc = trim(raw) === "" ? null : normalizeDocument(raw, this.options.sanitize);
    return this.lastDoc;
  }

  /** The record this row belongs to: the current one when the key matches, else a new one. */
  private recordFor(row: CsvRow, channelValue: string, line: number): PersonRecord {
    const idx = this.idx;
    let key: string;
    let keyKind: PersonRecord["keyKind"];
    const current = this.current;
    // Rows that reach here mostly start a new person: no use comparing the code in place first.
    const code =
      idx.code !== undefined && (this.rowBlank & BLANK_CODE) === 0
        ? trimmedField(row, idx.code)
        : "";
    const doc = this.rowDoc;
    const document = doc?.ok ? doc.value : null;
    if (code !== "") {
      key = code;
      keyKind = "codcliente";
    } else if (document !== null) {
      key = document;
      keyKind = "cpfcnpj";
    } else {
      key = channelValue;
      keyKind = "channel";
    }
    if (
      current !== null &&
      current.key === key &&
      current.keyKind === keyKind &&
      current.channels.length < MAX_CHANNELS_PER_RECORD
    ) {
      return current;
    }
    this.flush();
    const record: PersonRecord = {
      key,
      keyKind,
      codCliente: code !== "" ? code : null,
      document,
      name: null,
      tags: [],
      message: null,
      fields: {},
      channels: [],
      firstLine: line,
    };
    this.current = record;
    this.currentValues = null;
    this.currentSpan = null;
    return record;
  }

  /**
   * With `_h`, whether the person's contact is met for the first time in the file (and now
   * remembered); always true without it. Called for a contact the record does not hold.
   */
  private firstInFile(record: PersonRecord, value: string): boolean {
    if (!this.options.sanitize) return true;
    this.fileContacts ??= new TextHashSet(FILE_CONTACTS_TRACKED);
    return this.fileContacts.addParts(record.keyKind, record.key, value);
  }

  private hasChannel(record: PersonRecord, value: string): boolean {
    const channels = record.channels;
    if (this.currentValues !== null) return this.currentValues.has(value);
    for (let i = 0; i < channels.length; i++)
      if ((channels[i] as ContactChannel).value === value) return true;
    return false;
  }

  /**
   * Adds a long-layout row's contact to its person. A contact the person already has is
   * dropped; with `_h` the row is rejected as DUPLICADO. False when the row was rejected.
   */
  private takeContact(
    record: PersonRecord,
    channel: { kind: ContactChannel["kind"]; value: string },
    line: number,
    text: string,
    start: number,
    end: number,
  ): boolean {
    if (!this.hasChannel(record, channel.value) && this.firstInFile(record, channel.value)) {
      this.addChannel(record, { kind: channel.kind, value: channel.value, line });
      return true;
    }
    if (!this.options.sanitize) return true;
    this.reject(
      line,
      text,
      start,
      end,
      "DUPLICADO",
      `Contato ${channel.value} repetido para a mesma pessoa: a linha foi ignorada`,
    );
    return false;
  }

  private addChannel(record: PersonRecord, channel: ContactChannel): void {
    record.channels.push(channel);
    // Named increments: `channels[channel.kind]++` is a keyed access that sees four names.
    const counts = this.counters.channels;
    switch (channel.kind) {
      case "mobile":
        counts.mobile++;
        break;
      case "landline":
        counts.landline++;
        break;
      case "email":
        counts.email++;
        break;
      default:
        counts.unknown++;
    }
    if (this.currentValues !== null) this.currentValues.add(channel.value);
    else if (record.channels.length > 16)
      this.currentValues = new Set(record.channels.map((c) => c.value));
  }

  /**
   * Non-empty values overwrite (as the import does); tags accumulate; the first message stays.
   * A field equal to what the record already holds is compared in place, not copied.
   */
  private mergeFields(record: PersonRecord, row: CsvRow): void {
    const idx = this.idx;
    const blank = this.rowBlank;
    if (idx.name !== undefined && (blank & BLANK_NAME) === 0) {
      const known = record.name;
      if (known === null || !trimmedIs(row, idx.name, known)) {
        const name = trimmedField(row, idx.name);
        if (name !== "") record.name = name;
      }
    }
    const doc = this.rowDoc;
    if (doc?.ok) record.document = doc.value;
    if (
      idx.tag !== undefined &&
      !isEmptyField(row, idx.tag) &&
      !hasTrimmed(row, idx.tag, record.tags)
    ) {
      const tag = trimmedField(row, idx.tag);
      if (tag !== "") record.tags.push(tag);
    }
    this.mergeMessage(record, row);
    const fields = record.fields;
    for (let i = 0; i < 5; i++) {
      const at = this.coringaIdx[i];
      if (at === undefined || isEmptyField(row, at) || (blank & (BLANK_CORINGA << i)) !== 0)
        continue;
      const known = coringaOf(fields, i);
      if (known !== undefined && trimmedIs(row, at, known)) continue;
      const value = trimmedField(row, at);
      if (value !== "") setCoringa(fields, i, value);
    }
    const priority = this.rowPriority;
    if (priority !== null && priority !== "") fields.PRIORIDADE = priority;
    for (const extra of this.map.extras) {
      if (isEmptyField(row, extra.index)) continue;
      const known = fields[extra.name];
      if (known !== undefined && trimmedIs(row, extra.index, known)) continue;
      const value = trimmedField(row, extra.index);
      if (value !== "") fields[extra.name] = value;
    }
  }

  /** Emits the record being built. */
  flush(): void {
    if (this.current !== null) {
      this.persons.push(this.current);
      this.counters.persons++;
      this.current = null;
      this.currentValues = null;
      this.currentSpan = null;
    }
  }

  private reject(
    line: number,
    text: string,
    start: number,
    end: number,
    code: RowRejectCode,
    message: string,
  ): void {
    this.counters.rejectedRows++;
    if (code !== "DUPLICADO" && code !== "RESTRITO") this.counters.brokenRows++;
    this.pushRejection(line, text, start, end, code, message);
  }

  /** A rejection of one contact of a wide row (the row itself may still be good). */
  private rejectPart(
    line: number,
    text: string,
    start: number,
    end: number,
    code: RowRejectCode,
    message: string,
  ): void {
    this.lastPartCodes.push(code);
    this.pushRejection(line, text, start, end, code, message);
  }

  private pushRejection(
    line: number,
    text: string,
    start: number,
    end: number,
    code: RowRejectCode,
    message: string,
  ): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
    const raw = text.slice(start, Math.min(end, start + MAX_RAW_CHARS));
    const rejection: RejectedRow = { line, code, message, raw };
    if (this.options.entry !== undefined) rejection.entry = this.options.entry;
    this.rejected.push(rejection);
  }
}

/** Bits of `rowBlank`: CODCLIENTE, NOME_CLIENTE, then CORINGA1..5 from BLANK_CORINGA up. */
const BLANK_CODE = 1;
const BLANK_NAME = 2;
const BLANK_CORINGA = 4;

/** The message of an optional field left blank: what was wrong, and that the contact stayed. */
function blanked(message: string): string {
  return `${message}. O campo ficou em branco e o contato foi mantido (a linha não foi rejeitada)`;
}

export function normalizePriority(raw: string): string | null {
  return PRIORITY[normalizeColumnName(raw)] ?? null;
}

/**
 * Long layout: the first of the columns holding the person's own fields (name, document, code, tag,
 * coringas, priority, extras) when they all come after the type, value and message columns; -1
 * when the header interleaves them (or there are none).
 */
function personColumnsStart(map: ColumnMap): number {
  if (map.layout !== "long") return -1;
  const known = map.known;
  const own: (number | undefined)[] = [
    known.name,
    known.document,
    known.code,
    known.tag,
    known.coringa1,
    known.coringa2,
    known.coringa3,
    known.coringa4,
    known.coringa5,
    known.priority,
    ...map.extras.map((e) => e.index),
  ];
  let from = Number.POSITIVE_INFINITY;
  for (const i of own) if (i !== undefined && i < from) from = i;
  if (from === Number.POSITIVE_INFINITY) return -1;
  for (const i of [known.type, known.value, known.message])
    if (i !== undefined && i >= from) return -1;
  return from;
}

/*
 * CORINGA1..5 of a record's fields, read and written by name: a single `fields[name]` site for the
 * five names, whose stores add properties, goes megamorphic (it cost ~2% of a parse).
 */

function coringaOf(fields: Record<string, string>, i: number): string | undefined {
  switch (i) {
    case 0:
      return fields.CORINGA1;
    case 1:
      return fields.CORINGA2;
    case 2:
      return fields.CORINGA3;
    case 3:
      return fields.CORINGA4;
    default:
      return fields.CORINGA5;
  }
}

function setCoringa(fields: Record<string, string>, i: number, value: string): void {
  switch (i) {
    case 0:
      fields.CORINGA1 = value;
      break;
    case 1:
      fields.CORINGA2 = value;
      break;
    case 2:
      fields.CORINGA3 = value;
      break;
    case 3:
      fields.CORINGA4 = value;
      break;
    default:
      fields.CORINGA5 = value;
  }
}

/** Whether every field in [from, count) is blank. */
function restIsBlank(row: CsvRow, from: number, count: number): boolean {
  for (let i = from; i < count; i++) if (row.get(i).trim() !== "") return false;
  return true;
}

/** Whether `trim(row.get(i))` is one of `values` (the tags a record already has). */
function hasTrimmed(row: CsvRow, i: number, values: string[]): boolean {
  for (let k = 0; k < values.length; k++) if (trimmedIs(row, i, values[k] as string)) return true;
  return false;
}

const DOCUMENT_RESTRICTED =
  "CPF/CNPJ na lista de restrição (descadastro) desta carteira ou da empresa: a pessoa não será importada";

function restrictedMessage(kind: ContactChannel["kind"]): string {
  return kind === "email"
    ? "E-mail na lista de restrição (descadastro) desta carteira: não será importado"
    : "Telefone na lista de restrição (descadastro) desta carteira: não será importado";
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
