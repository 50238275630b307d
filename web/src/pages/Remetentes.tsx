import { type FormEvent, type ReactNode, useState } from "react";
import { messageOf } from "../api";
import { ErrorBox, Field, Loading, Page } from "../components";
import { useApi, useResource } from "../hooks";
import type { Wallet } from "../types";

interface Sender {
  id: number;
  kind: "whatsapp" | "sms";
  mode: string;
  number: string;
  name: string;
  wallet: string | null;
  provider: string;
  enabled: boolean;
  hasToken: boolean;
}
interface Template {
  id: number;
  name: string;
  language: string;
  wallet: string | null;
  default: boolean;
  body: string | null;
  params: string[];
}
interface Account {
  id: number;
  address: string;
  displayName: string | null;
  wallet: string | null;
  active: boolean;
  platformDefault: boolean;
  provider: string;
  host: string | null;
}

const MODE_LABELS: Record<string, string> = {
  long: "SMS long code",
  short: "SMS short code",
  exclusivo: "WhatsApp exclusivo",
  compartilhado: "WhatsApp compartilhado",
  prospect: "WhatsApp prospect",
};

/** A form that posts, shows the API's pt-BR refusal, and reloads its list on success. */
function AddForm({
  title,
  submit,
  children,
}: {
  title: string;
  submit: () => Promise<void>;
  children: ReactNode;
}) {
  const [error, setError] = useState<string | null>(null);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await submit();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <>
      <h3>{title}</h3>
      <form className="grid" onSubmit={onSubmit}>
        {children}
        <div>
          <button type="submit">Cadastrar</button>
        </div>
      </form>
      <ErrorBox message={error} />
    </>
  );
}

function WalletSelect({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const wallets = useResource<{ items: Wallet[] }>("/wallets");
  return (
    <Field label="Carteira">
      <select name="wallet" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Todas (da empresa)</option>
        {(wallets.data?.items ?? []).map((w) => (
          <option key={w.id} value={w.code}>
            {w.code}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Who sends: WhatsApp numbers and SMS routes, templates, e-mail accounts (provider outbox by default). */
export function Remetentes() {
  const api = useApi();
  const senders = useResource<{ items: Sender[] }>("/senders");
  const templates = useResource<{ items: Template[] }>("/templates");
  const accounts = useResource<{ items: Account[] }>("/email-accounts");
  const [sender, setSender] = useState({ mode: "long", number: "", name: "", wallet: "" });
  const [template, setTemplate] = useState({
    name: "",
    body: "",
    params: "",
    wallet: "",
    isDefault: true,
  });
  const [account, setAccount] = useState({ address: "", displayName: "", wallet: "" });
  const [removeError, setRemoveError] = useState<string | null>(null);
  const remove = async (path: string, reload: () => void) => {
    if (!window.confirm("Remover este cadastro?")) return;
    setRemoveError(null);
    try {
      await api.send("DELETE", path);
      reload();
    } catch (e) {
      setRemoveError(messageOf(e));
    }
  };
  return (
    <Page title="Remetentes, templates e contas de e-mail">
      <ErrorBox message={removeError} />
      <h2>Números de WhatsApp e rotas SMS</h2>
      <ErrorBox message={senders.error} />
      {senders.data === null ? (
        <Loading what="os remetentes" />
      ) : (
        <ul className="cards" data-testid="senders">
          {senders.data.items.map((s) => (
            <li key={s.id} className="card">
              <strong>{MODE_LABELS[s.mode] ?? s.mode}</strong> <code>{s.number}</code>{" "}
              {s.name ? `— ${s.name}` : ""}
              <span className="muted">
                {" "}
                · carteira {s.wallet ?? "todas"} · provedor {s.provider}
                {s.hasToken ? " · segredo guardado" : ""}
              </span>{" "}
              <button
                type="button"
                className="link"
                onClick={() => remove(`/senders/${s.id}`, senders.reload)}
              >
                remover
              </button>
            </li>
          ))}
        </ul>
      )}
      <AddForm
        title="Novo remetente"
        submit={async () => {
          await api.send("POST", "/senders", {
            kind: sender.mode === "long" || sender.mode === "short" ? "sms" : "whatsapp",
            mode: sender.mode,
            number: sender.number.trim(),
            ...(sender.name.trim() ? { name: sender.name.trim() } : {}),
            ...(sender.wallet ? { wallet: sender.wallet } : {}),
          });
          setSender((s) => ({ ...s, number: "", name: "" }));
          senders.reload();
        }}
      >
        <Field label="Tipo">
          <select
            name="mode"
            value={sender.mode}
            onChange={(e) => setSender({ ...sender, mode: e.target.value })}
          >
            {Object.entries(MODE_LABELS).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label={sender.mode === "long" || sender.mode === "short" ? "Nome da rota" : "Número"}
          hint="Número como aparecerá em _nw (só dígitos)"
        >
          <input
            name="number"
            value={sender.number}
            onChange={(e) => setSender({ ...sender, number: e.target.value })}
            required
          />
        </Field>
        <Field label="Descrição">
          <input
            name="senderName"
            value={sender.name}
            onChange={(e) => setSender({ ...sender, name: e.target.value })}
          />
        </Field>
        <WalletSelect
          value={sender.wallet}
          onChange={(wallet) => setSender({ ...sender, wallet })}
        />
      </AddForm>

      <h2>Templates de WhatsApp</h2>
      <ErrorBox message={templates.error} />
      {templates.data === null ? (
        <Loading what="os templates" />
      ) : (
        <ul className="cards">
          {templates.data.items.map((t) => (
            <li key={t.id} className="card">
              <strong>{t.name}</strong> ({t.language}){t.default ? " · padrão da carteira" : ""}
              <span className="muted"> · carteira {t.wallet ?? "todas"}</span>
              <br />
              <span>{t.body}</span>
              {t.params.length > 0 ? (
                <span className="muted">
                  {" "}
                  · parâmetros: {t.params.map((p, i) => `{{${i + 1}}} = ${p}`).join(", ")}
                </span>
              ) : null}{" "}
              <button
                type="button"
                className="link"
                onClick={() => remove(`/templates/${t.id}`, templates.reload)}
              >
                remover
              </button>
            </li>
          ))}
        </ul>
      )}
      <AddForm
        title="Novo template"
        submit={async () => {
          await api.send("POST", "/templates", {
            name: template.name.trim(),
            body: template.body,
            params: template.params
              .split(",")
              .map((p) => p.trim())
              .filter((p) => p !== ""),
            ...(template.wallet ? { wallet: template.wallet } : {}),
            default: template.isDefault,
          });
          setTemplate((t) => ({ ...t, name: "", body: "", params: "" }));
          templates.reload();
        }}
      >
        <Field label="Nome (como no _nt)">
          <input
            name="templateName"
            value={template.name}
            onChange={(e) => setTemplate({ ...template, name: e.target.value })}
            required
          />
        </Field>
        <Field label="Texto" hint="Use {{1}}, {{2}}… para os parâmetros">
          <input
            name="body"
            value={template.body}
            onChange={(e) => setTemplate({ ...template, body: e.target.value })}
            required
          />
        </Field>
        <Field
          label="Colunas dos parâmetros"
          hint="Na ordem, separadas por vírgula: NOME_CLIENTE, CORINGA1"
        >
          <input
            name="params"
            value={template.params}
            onChange={(e) => setTemplate({ ...template, params: e.target.value })}
          />
        </Field>
        <WalletSelect
          value={template.wallet}
          onChange={(wallet) => setTemplate({ ...template, wallet })}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={template.isDefault}
            onChange={(e) => setTemplate({ ...template, isDefault: e.target.checked })}
          />
          Padrão da carteira (usado sem _nt)
        </label>
      </AddForm>

      <h2>Contas de e-mail</h2>
      <ErrorBox message={accounts.error} />
      {accounts.data === null ? (
        <Loading what="as contas" />
      ) : (
        <ul className="cards">
          {accounts.data.items.map((a) => (
            <li key={a.id} className="card">
              <strong>{a.address}</strong> {a.displayName ? `(${a.displayName})` : ""}
              <span className="muted">
                {" "}
                · carteira {a.wallet ?? "todas"} · provedor {a.provider}
                {a.host ? ` (${a.host})` : ""}
                {a.active ? " · ativa" : ""}
                {a.platformDefault ? " · padrão da plataforma" : ""}
              </span>{" "}
              <button
                type="button"
                className="link"
                onClick={() => remove(`/email-accounts/${a.id}`, accounts.reload)}
              >
                remover
              </button>
            </li>
          ))}
        </ul>
      )}
      <AddForm
        title="Nova conta de e-mail"
        submit={async () => {
          await api.send("POST", "/email-accounts", {
            address: account.address.trim(),
            ...(account.displayName.trim() ? { displayName: account.displayName.trim() } : {}),
            ...(account.wallet ? { wallet: account.wallet, active: true } : {}),
          });
          setAccount((a) => ({ ...a, address: "", displayName: "" }));
          accounts.reload();
        }}
      >
        <Field label="Endereço (como no _ce)">
          <input
            name="address"
            type="email"
            value={account.address}
            onChange={(e) => setAccount({ ...account, address: e.target.value })}
            required
          />
        </Field>
        <Field label="Nome do remetente">
          <input
            name="displayName"
            value={account.displayName}
            onChange={(e) => setAccount({ ...account, displayName: e.target.value })}
          />
        </Field>
        <WalletSelect
          value={account.wallet}
          onChange={(wallet) => setAccount({ ...account, wallet })}
        />
      </AddForm>
      <p className="muted">
        Provedores reais (SMTP, WhatsApp Cloud API, SMPP) e seus segredos: cadastre pela linha de
        comando (<code>remessa email-accounts add</code>, <code>senders add</code>,{" "}
        <code>sms-routes add</code>) ou pela API; aqui eles aparecem com o provedor de cada um.
      </p>
    </Page>
  );
}
