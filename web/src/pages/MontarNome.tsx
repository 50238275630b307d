import { useEffect, useState } from "react";
import { messageOf } from "../api";
import { ErrorBox, Field, Page } from "../components";
import { todayIso } from "../format";
import { useApi, useResource } from "../hooks";
import type { Mailing, NameError, Wallet } from "../types";

type Channel = "" | "long" | "short";
type WhatsappMode = "" | "exclusivo" | "compartilhado" | "prospect";

interface Form {
  date: string;
  sequence: string;
  extension: "csv" | "txt" | "zip";
  wallet: string;
  description: string;
  sanitize: boolean;
  sms: Channel;
  whatsapp: WhatsappMode;
  whatsappNumber: string;
  template: string;
  email: boolean;
  emailAccount: string;
  emailSubject: string;
  start: string;
  splitPercent: string;
  splitMinutes: string;
  excludeRecentHours: string;
  replaceTags: boolean;
  removeOtherWallets: boolean;
  deadline: string;
}

const EMPTY: Form = {
  date: todayIso(),
  sequence: "",
  extension: "csv",
  wallet: "",
  description: "",
  sanitize: true,
  sms: "",
  whatsapp: "",
  whatsappNumber: "",
  template: "",
  email: false,
  emailAccount: "",
  emailSubject: "",
  start: "",
  splitPercent: "",
  splitMinutes: "",
  excludeRecentHours: "",
  replaceTags: false,
  removeOtherWallets: false,
  deadline: "",
};

/**
 * Without a description the name carries no `_d` (its default is the name itself, which the
 * browser cannot compute: the grammar's formatter is server code). The API builds the name
 * with this stand-in, and the page shows it with the stand-in's `_d` token taken out.
 */
const NO_DESCRIPTION = "-";
export function withoutStandIn(name: string, description: string): string {
  return description.trim() === "" ? name.replace(`_d${NO_DESCRIPTION}`, "") : name;
}

const orNull = (s: string) => (s.trim() === "" ? null : s.trim());
const intOrNull = (s: string) => (s.trim() === "" ? null : Number(s));

/** The form as the API's mailing object (the JSON of `build-name --from-json`). */
export function mailingOf(f: Form): Mailing {
  return {
    date: f.date,
    sequence: Number(f.sequence || "0"),
    extension: f.extension,
    wallet: orNull(f.wallet),
    walletFrom: orNull(f.wallet) === null ? null : "name",
    description: f.description.trim() === "" ? NO_DESCRIPTION : f.description.trim(),
    sanitize: f.sanitize,
    sms: f.sms === "" ? null : f.sms,
    whatsapp:
      f.whatsapp === ""
        ? null
        : { mode: f.whatsapp, number: orNull(f.whatsappNumber), template: orNull(f.template) },
    email: f.email ? { account: orNull(f.emailAccount), subject: orNull(f.emailSubject) } : null,
    start: orNull(f.start),
    split:
      f.splitPercent === "" && f.splitMinutes === ""
        ? null
        : { percent: Number(f.splitPercent || "0"), everyMinutes: Number(f.splitMinutes || "0") },
    excludeRecentHours: intOrNull(f.excludeRecentHours),
    replaceTags: f.replaceTags,
    removeOtherWallets: f.removeOtherWallets,
    deadline: orNull(f.deadline),
  } as Mailing;
}

interface Built {
  ok: boolean;
  name: string | null;
  errors: NameError[];
}

/** Builds a valid file name from the nineteen parameters, checked live against the tenant's data. */
export function MontarNome() {
  const api = useApi();
  const [form, setForm] = useState<Form>(EMPTY);
  const [built, setBuilt] = useState<Built | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const wallets = useResource<{ items: Wallet[] }>("/wallets");
  const next = useResource<{ sequence: number | null }>(
    `/mailings/next-sequence?date=${form.date}`,
  );
  const nextSequence = next.data?.sequence;
  const firstWallet = wallets.data?.items[0]?.code;
  useEffect(() => {
    if (firstWallet !== undefined)
      setForm((f) => (f.wallet === "" ? { ...f, wallet: firstWallet } : f));
  }, [firstWallet]);
  useEffect(() => {
    if (nextSequence !== undefined && nextSequence !== null) {
      setForm((f) => (f.sequence === "" ? { ...f, sequence: String(nextSequence) } : f));
    }
  }, [nextSequence]);
  useEffect(() => {
    if (form.sequence === "") return;
    let live = true;
    const timer = setTimeout(() => {
      api
        .send<Built>("POST", "/filename/build", { mailing: mailingOf(form) })
        .then((b) => {
          if (live) {
            setBuilt(b.name ? { ...b, name: withoutStandIn(b.name, form.description) } : b);
            setError(null);
            setCopied(false);
          }
        })
        .catch((e: unknown) => {
          if (live) setError(messageOf(e));
        });
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, form]);
  const set =
    <K extends keyof Form>(key: K) =>
    (value: Form[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const text = (key: keyof Form, label: string, hint?: string, type = "text") => (
    <Field label={label} hint={hint}>
      <input
        type={type}
        name={key}
        value={form[key] as string}
        onChange={(e) => set(key)(e.target.value as never)}
      />
    </Field>
  );
  const check = (key: keyof Form, label: string) => (
    <label className="check">
      <input
        type="checkbox"
        name={key}
        checked={form[key] as boolean}
        onChange={(e) => set(key)(e.target.checked as never)}
      />{" "}
      {label}
    </label>
  );
  return (
    <Page title="Montar nome do arquivo">
      <div className="builder">
        <form className="grid" onSubmit={(e) => e.preventDefault()}>
          <fieldset>
            <legend>Arquivo</legend>
            {text("date", "Data", undefined, "date")}
            {text("sequence", "Sequência do dia", "A próxima livre vem preenchida", "number")}
            <Field label="Tipo">
              <select
                name="extension"
                value={form.extension}
                onChange={(e) => set("extension")(e.target.value as Form["extension"])}
              >
                <option value="csv">CSV</option>
                <option value="txt">TXT</option>
                <option value="zip">ZIP</option>
              </select>
            </Field>
            <Field label="Carteira (_c)">
              <select
                name="wallet"
                value={form.wallet}
                onChange={(e) => set("wallet")(e.target.value)}
              >
                <option value="">Pela pasta do arquivo</option>
                {(wallets.data?.items ?? []).map((w) => (
                  <option key={w.id} value={w.code}>
                    {w.code}
                  </option>
                ))}
              </select>
            </Field>
            {text("description", "Descrição (_d)", "Vazio: o próprio nome do arquivo")}
            {check("sanitize", "Higienizar (_h)")}
            {check("replaceTags", "Substituir as tags das pessoas (_limpartag)")}
            {check(
              "removeOtherWallets",
              "Retirar as pessoas das outras carteiras (_removercarteiras)",
            )}
          </fieldset>
          <fieldset>
            <legend>Canais</legend>
            <Field label="SMS">
              <select
                name="sms"
                value={form.sms}
                onChange={(e) => set("sms")(e.target.value as Channel)}
              >
                <option value="">Sem SMS</option>
                <option value="long">Long code (_smslong)</option>
                <option value="short">Short code (_smsshort)</option>
              </select>
            </Field>
            <Field label="WhatsApp">
              <select
                name="whatsapp"
                value={form.whatsapp}
                onChange={(e) => set("whatsapp")(e.target.value as WhatsappMode)}
              >
                <option value="">Sem WhatsApp</option>
                <option value="exclusivo">Número exclusivo</option>
                <option value="compartilhado">Número compartilhado</option>
                <option value="prospect">Prospect</option>
              </select>
            </Field>
            {form.whatsapp !== "" ? (
              <>
                {text("whatsappNumber", "Número (_nw)", "Vazio: o exclusivo da carteira")}
                {text("template", "Template (_nt)", "Vazio: o padrão da carteira")}
              </>
            ) : null}
            {check("email", "E-mail (_email)")}
            {form.email ? (
              <>
                {text("emailAccount", "Conta (_ce)", "Vazio: a ativa da carteira")}
                {text("emailSubject", "Assunto (_te)", "Vazio: a descrição")}
              </>
            ) : null}
          </fieldset>
          <fieldset>
            <legend>Agenda</legend>
            {text("start", "Início (_i)", "Vazio: logo após a importação", "datetime-local")}
            {text("deadline", "Prazo (_LE)", "Nada sai depois dele", "datetime-local")}
            {text("splitPercent", "Ondas: % por onda (_q)", "01 a 99", "number")}
            {text("splitMinutes", "Ondas: minutos entre ondas (_q)", "001 a 999", "number")}
            {text(
              "excludeRecentHours",
              "Excluir contato recente, em horas (_x)",
              undefined,
              "number",
            )}
          </fieldset>
        </form>
        <aside className="result" aria-live="polite">
          <h2>Nome</h2>
          <ErrorBox message={error} />
          {built === null ? (
            <p className="muted">Preencha o formulário.</p>
          ) : built.ok && built.name ? (
            <>
              <p className="name" data-testid="built-name">
                {built.name}
              </p>
              <button
                type="button"
                onClick={async () => {
                  await navigator.clipboard?.writeText(built.name ?? "");
                  setCopied(true);
                }}
              >
                {copied ? "Copiado" : "Copiar nome"}
              </button>
            </>
          ) : (
            <ul className="errors" data-testid="build-errors">
              {built.errors.map((e) => (
                <li key={`${e.code}:${e.param ?? ""}`}>{e.message}</li>
              ))}
            </ul>
          )}
        </aside>
      </div>
    </Page>
  );
}
