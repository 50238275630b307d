import { type FormEvent, useState } from "react";
import { messageOf } from "../api";
import { ErrorBox, Field, Loading, Page } from "../components";
import { formatDateTime } from "../format";
import { useApi, useResource } from "../hooks";
import type { Wallet } from "../types";

export function Carteiras() {
  const api = useApi();
  const wallets = useResource<{ items: Wallet[] }>("/wallets");
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.send("POST", "/wallets", { code: code.trim(), name: name.trim() || null });
      setCode("");
      setName("");
      wallets.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Page title="Carteiras">
      <ErrorBox message={wallets.error} />
      {wallets.data === null ? (
        <Loading what="as carteiras" />
      ) : wallets.data.items.length === 0 ? (
        <p className="muted">Nenhuma carteira cadastrada.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Código</th>
                <th scope="col">Nome</th>
                <th scope="col">Cadastrada em</th>
              </tr>
            </thead>
            <tbody>
              {wallets.data.items.map((w) => (
                <tr key={w.id}>
                  <td>
                    <code>{w.code}</code>
                  </td>
                  <td>{w.name ?? "—"}</td>
                  <td>{formatDateTime(w.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Nova carteira</h2>
      <form onSubmit={add} className="inline">
        <Field label="Código" hint="Como aparecerá em _c e no nome da pasta">
          <input name="code" value={code} onChange={(e) => setCode(e.target.value)} required />
        </Field>
        <Field label="Nome">
          <input name="walletName" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <button type="submit">Cadastrar</button>
      </form>
      <ErrorBox message={error} />
    </Page>
  );
}
