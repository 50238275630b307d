import { type FormEvent, useState } from "react";
import { describeMailing } from "../../../src/filename/describe.js";
import { messageOf } from "../api";
import { ErrorBox, Field, Page } from "../components";
import { useApi } from "../hooks";
import type { Mailing, NameError } from "../types";

interface Checked {
  ok: boolean;
  errors: NameError[];
  mailing: Mailing | null;
}

/** Paste a name: what it asks for, or every reason it would be discarded (tenant data included). */
export function ConferirNome() {
  const api = useApi();
  const [name, setName] = useState("");
  const [checked, setChecked] = useState<Checked | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      setChecked(await api.send<Checked>("POST", "/filename/check", { name: name.trim() }));
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Page title="Conferir nome do arquivo">
      <form onSubmit={submit} className="inline">
        <Field label="Nome do arquivo">
          <input
            name="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="mailing_071226_1_cCARTEIRA_smsshort.csv"
          />
        </Field>
        <button type="submit" disabled={name.trim() === ""}>
          Conferir
        </button>
      </form>
      <ErrorBox message={error} />
      {checked === null ? null : checked.ok && checked.mailing ? (
        <div className="card ok" data-testid="check-ok">
          <h2>Nome válido</h2>
          <ul>
            {describeMailing(checked.mailing).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      ) : (
        <div className="card bad" data-testid="check-errors">
          <h2>
            O arquivo seria descartado ({checked.errors.length}{" "}
            {checked.errors.length === 1 ? "motivo" : "motivos"})
          </h2>
          <ul>
            {checked.errors.map((e) => (
              <li key={`${e.code}:${e.param ?? ""}`}>
                <code>{e.code}</code> {e.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Page>
  );
}
