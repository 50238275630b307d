/**
 * `remessa templates test` for the Cloud API: one real round trip to the
 * WhatsApp Business Account's message_templates edge
 * (GET {base}/{version}/{waba-id}/message_templates?name=…) and a comparison
 * of what Meta approved with the template's column mapping — the number of
 * parameters of the header, the body and each URL button must be the ones
 * the mapping fills, and a mapped quick-reply payload needs a QUICK_REPLY
 * button at that position, or Meta refuses every message (132000).
 *
 * The WABA id is a sender setting (`senders add --business-account`): the
 * phone-number node of the Graph API does not say which account owns it.
 */
import {
  buttonKind,
  serializeTemplateMapping,
  type TemplateMapping,
} from "../store/template-mapping.js";
import { type CloudApiSender, graphError, readJson } from "./cloud-api.js";

/** A message template as the message_templates edge returns it. */
export interface MetaTemplate {
  name: string;
  language: string;
  status: string;
  category?: string;
  components: MetaComponent[];
}

export interface MetaComponent {
  type: string;
  format?: string;
  text?: string;
  buttons?: { type: string; text?: string; url?: string }[];
}

export interface TemplateCheck {
  ok: boolean;
  /** pt-BR, one line each: why Meta would refuse the messages. */
  problems: string[];
  /** pt-BR summary line. */
  message: string;
}

const STATUS_TEXT: Readonly<Record<string, string>> = {
  PENDING: "em análise pela Meta",
  IN_APPEAL: "em recurso",
  REJECTED: "rejeitado pela Meta",
  PAUSED: "pausado pela Meta (baixa qualidade)",
  DISABLED: "desativado pela Meta",
  PENDING_DELETION: "sendo excluído",
  DELETED: "excluído",
  LIMIT_EXCEEDED: "acima do limite de templates da conta",
};

const MEDIA_TEXT: Readonly<Record<string, string>> = {
  image: "imagem",
  video: "vídeo",
  document: "documento",
};

/** Distinct `{{…}}` parameters of a text (positional or named). */
export function metaParameterCount(text: string | undefined): number {
  const found = new Set<string>();
  for (const m of (text ?? "").matchAll(/\{\{\s*([^{}]+?)\s*\}\}/g)) found.add(m[1] as string);
  return found.size;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What is different between Meta's template and the mapping, one pt-BR line each. */
export function compareTemplate(meta: MetaTemplate, mapping: TemplateMapping): string[] {
  const problems: string[] = [];
  if (meta.status !== "APPROVED") {
    problems.push(
      `O template está ${STATUS_TEXT[meta.status] ?? `com situação ${meta.status}`} (não APPROVED): a Meta recusa as mensagens até ele ser aprovado.`,
    );
  }
  const component = (type: string) => meta.components.find((c) => c.type.toUpperCase() === type);
  const header = component("HEADER");
  const format = header?.format?.toUpperCase() ?? (header ? "TEXT" : null);
  const mapped = mapping.header;
  if (format === "TEXT") {
    const wants = metaParameterCount(header?.text);
    const has = mapped?.kind === "text" ? mapped.columns.length : 0;
    if (mapped && mapped.kind !== "text") {
      problems.push(
        `O cabeçalho na Meta é de texto, mas o mapeamento dá a ele ${MEDIA_TEXT[mapped.kind]} (header:${mapped.kind}=${mapped.column}).`,
      );
    } else if (wants !== has) {
      problems.push(
        `O cabeçalho na Meta tem ${plural(wants, "parâmetro", "parâmetros")}, mas o mapeamento preenche ${has}${wants > has ? " (use --param header:1=COLUNA)" : ""}.`,
      );
    }
  } else if (format === "IMAGE" || format === "VIDEO" || format === "DOCUMENT") {
    const kind = format.toLowerCase();
    if (!mapped || mapped.kind !== kind) {
      problems.push(
        `O cabeçalho na Meta é ${MEDIA_TEXT[kind]}: o mapeamento precisa de --param header:${kind}=COLUNA (a coluna com o link do arquivo)${mapped ? `, não ${mapped.kind === "text" ? "texto" : MEDIA_TEXT[mapped.kind]}` : ""}.`,
      );
    }
  } else if (mapped) {
    const entry =
      mapped.kind === "text"
        ? `header:1=${mapped.columns[0]}`
        : `header:${mapped.kind}=${mapped.column}`;
    problems.push(
      `O template na Meta ${format ? "tem um cabeçalho sem parâmetros" : "não tem cabeçalho"}, mas o mapeamento preenche um (${entry}).`,
    );
  }
  const bodyWants = metaParameterCount(component("BODY")?.text);
  if (bodyWants !== mapping.body.length) {
    problems.push(
      `O texto na Meta tem ${plural(bodyWants, "parâmetro", "parâmetros")}, mas o mapeamento preenche ${mapping.body.length}.`,
    );
  }
  const buttons = component("BUTTONS")?.buttons ?? [];
  const byIndex = new Map(mapping.buttons.map((b) => [b.index, b]));
  buttons.forEach((b, index) => {
    const type = b.type.toUpperCase();
    const mappedButton = byIndex.get(index);
    const kind = mappedButton ? buttonKind(mappedButton) : null;
    const label = `O botão ${index} ("${b.text ?? b.type}") na Meta`;
    if (kind === "quick_reply") {
      if (type !== "QUICK_REPLY") {
        problems.push(
          `${label} não é de resposta rápida (QUICK_REPLY, é ${type}), mas o mapeamento dá a ele um payload (button:${index}:quick_reply=${mappedButton?.column}).`,
        );
      }
      return;
    }
    // A quick reply without a mapped payload is fine: Meta returns the button's text.
    const wants = type === "URL" ? metaParameterCount(b.url) : 0;
    if (wants > 0 && kind === null) {
      problems.push(
        `${label} tem URL com parâmetro, mas o mapeamento não o preenche (use --param button:${index}=COLUNA).`,
      );
    } else if (wants === 0 && kind === "url") {
      problems.push(
        `${label} não tem URL com parâmetro, mas o mapeamento o preenche (button:${index}=${mappedButton?.column})${type === "QUICK_REPLY" ? `; para o payload da resposta rápida use button:${index}:quick_reply=${mappedButton?.column}` : ""}.`,
      );
    }
  });
  for (const [index, b] of byIndex) {
    if (index >= buttons.length) {
      problems.push(
        `O template na Meta não tem o botão ${index}, mas o mapeamento o preenche (${serializeTemplateMapping({ body: [], header: null, buttons: [b] })[0]}).`,
      );
    }
  }
  return problems;
}

/** Reads one page; the Graph API pages lists with `paging.next`. */
async function fetchPage(
  url: string,
  token: string,
  timeoutMs: number,
): Promise<{ response: Response; body: unknown }> {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { response, body: await readJson(response) };
}

/** A few pages are plenty: the name filter leaves the templates sharing the name's prefix. */
const MAX_PAGES = 5;

/**
 * Fetches the template (name + language) from the sender's WABA and compares
 * it with the mapping. Never throws; the token is never part of a message.
 */
export async function checkCloudApiTemplate(
  sender: CloudApiSender,
  template: { name: string; language: string },
  mapping: TemplateMapping,
  timeoutMs = 10_000,
): Promise<TemplateCheck> {
  const fail = (message: string): TemplateCheck => ({ ok: false, problems: [message], message });
  if (!sender.businessAccountId) {
    return fail(
      `O remetente ${sender.senderId} não tem a conta do WhatsApp Business (WABA) cadastrada: cadastre-o de novo com --business-account ID ou informe --business-account ID neste teste.`,
    );
  }
  const fields = "name,language,status,category,components";
  let url: string | null =
    `${sender.baseUrl}/${sender.apiVersion}/${encodeURIComponent(sender.businessAccountId)}/message_templates?name=${encodeURIComponent(template.name)}&fields=${fields}&limit=100`;
  const sameName: MetaTemplate[] = [];
  for (let page = 0; url && page < MAX_PAGES; page++) {
    let got: { response: Response; body: unknown };
    try {
      got = await fetchPage(url, sender.token, timeoutMs);
    } catch (error) {
      const cause = ((error as Error)?.cause as Error)?.message ?? (error as Error)?.message;
      return fail(
        `Não foi possível falar com a Cloud API em ${sender.baseUrl} (${cause}). Confira a URL base, o DNS e o firewall.`,
      );
    }
    const { response, body } = got;
    if (!response.ok) {
      const error = graphError(body);
      const code = error?.code ?? null;
      if (response.status === 401 || code === 190) {
        return fail(
          "A Cloud API recusou o token de acesso (inválido ou expirado). Gere um token novo no painel da Meta e cadastre o remetente de novo.",
        );
      }
      if (code === 10 || code === 200 || response.status === 403) {
        return fail(
          "O token não pode ler os templates da conta. Dê a ele a permissão whatsapp_business_management.",
        );
      }
      if (response.status === 404 || code === 100 || code === 803) {
        return fail(
          `A Cloud API não conhece a conta do WhatsApp Business ${sender.businessAccountId} (ou o token não a enxerga). Confira o identificador no WhatsApp Manager.`,
        );
      }
      return fail(
        `A Cloud API respondeu com erro (HTTP ${response.status}${code !== null ? `, código ${code}` : ""}): ${error?.message ?? "sem detalhes"}. Tente de novo em instantes.`,
      );
    }
    const b = (body ?? {}) as { data?: unknown; paging?: { next?: unknown } };
    for (const t of Array.isArray(b.data) ? (b.data as MetaTemplate[]) : []) {
      if (t && t.name === template.name) {
        sameName.push({ ...t, components: Array.isArray(t.components) ? t.components : [] });
      }
    }
    url = typeof b.paging?.next === "string" ? b.paging.next : null;
  }
  const found = sameName.find((t) => t.language === template.language);
  if (!found) {
    const others = sameName.map((t) => t.language);
    return fail(
      others.length > 0
        ? `O template "${template.name}" existe na conta ${sender.businessAccountId}, mas não no idioma ${template.language} (há ${others.join(", ")}). Corrija o idioma do template.`
        : `O template "${template.name}" não existe na conta do WhatsApp Business ${sender.businessAccountId}. Confira o nome exato no WhatsApp Manager ou crie o template lá.`,
    );
  }
  const problems = compareTemplate(found, mapping);
  return problems.length === 0
    ? {
        ok: true,
        problems,
        message: `Template "${template.name}" (${template.language}) aprovado na Meta, com os parâmetros que o mapeamento preenche.`,
      }
    : {
        ok: false,
        problems,
        message: `Template "${template.name}" (${template.language}): ${plural(problems.length, "problema", "problemas")} na Meta.`,
      };
}
