import { type FormEvent, useState } from "react";
import { ApiFailure, createApi, messageOf } from "../api";
import { ErrorBox, Field } from "../components";

/** Signs in with a tenant's API key, checked against the server before it is kept. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const typed = key.trim();
    if (typed === "") {
      setError("Informe a chave de API da empresa (começa com rms_).");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await createApi(typed).get("/wallets");
      onSignedIn(typed);
    } catch (e) {
      setError(
        e instanceof ApiFailure && e.status === 401
          ? "Chave recusada: confira se foi copiada inteira e se não foi revogada (remessa api-keys list)."
          : messageOf(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>remessa</h1>
      <p>Entre com a chave de API da sua empresa.</p>
      <form onSubmit={submit}>
        <Field
          label="Chave de API"
          hint="Crie uma com: remessa api-keys create --name console --scope write"
        >
          <input
            type="password"
            name="apiKey"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            // biome-ignore lint/a11y/noAutofocus: the page's only field
            autoFocus
          />
        </Field>
        <ErrorBox message={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Entrando…" : "Entrar"}
        </button>
      </form>
    </main>
  );
}
